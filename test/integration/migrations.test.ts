import { readdirSync } from 'node:fs';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MIGRATIONS_DIR, runMigrations } from '../../src/adapters/postgres/migrate.js';
import { PostgresAgentRegistry } from '../../src/adapters/postgres/postgres-agent-registry.js';
import { PostgresSettingsStore } from '../../src/adapters/postgres/postgres-settings-store.js';
import { DEFAULT_INTERVALS } from '../../src/domain/interval.js';
import { createTestDatabase, insertAgents, type TestDatabase } from '../support/postgres.js';

const MIGRATION_COUNT = readdirSync(MIGRATIONS_DIR).filter((file) => file.endsWith('.sql')).length;

// One fresh, unmigrated database per test: each starts from a different "before" state.
const databases: TestDatabase[] = [];
async function emptyDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase({ migrate: false });
  databases.push(db);
  return db;
}

afterEach(async () => {
  await Promise.all(databases.splice(0).map((db) => db.drop()));
});

async function settingsRows(db: TestDatabase): Promise<Record<string, number>> {
  const { rows } = await db.pool.query<{ sync_type: string; interval_minutes: number }>(
    'select sync_type, interval_minutes from system.sync_settings order by sync_type',
  );
  return Object.fromEntries(rows.map((row) => [row.sync_type, row.interval_minutes]));
}

async function columnsOf(db: TestDatabase, schema: string, table: string): Promise<string[]> {
  const { rows } = await db.pool.query<{ column_name: string }>(
    `select column_name from information_schema.columns
     where table_schema = $1 and table_name = $2 order by ordinal_position`,
    [schema, table],
  );
  return rows.map((row) => row.column_name);
}

describe('migrations', () => {
  it('create and seed the tables on an empty database', async () => {
    const db = await emptyDatabase();

    const applied = await runMigrations(db.url);

    expect(applied).toHaveLength(MIGRATION_COUNT);
    expect(await settingsRows(db)).toEqual(DEFAULT_INTERVALS);
    expect(await columnsOf(db, 'system', 'sync_settings')).toEqual([
      'sync_type',
      'interval_minutes',
      'enabled',
      'updated_at',
      'idle_multiplier',
      'offline_multiplier',
      'working_window',
    ]);
    expect(await columnsOf(db, 'agents', 'users')).toEqual(['id', 'username', 'whitelisted']);
    const { rows } = await db.pool.query(
      'select count(*)::int as n from system.sync_settings where enabled and updated_at is not null',
    );
    expect(rows[0].n).toBe(6);
  });

  it('keep their own history in the system schema, not in public', async () => {
    const db = await emptyDatabase();

    await runMigrations(db.url);

    const { rows } = await db.pool.query<{ table: string | null }>(
      `select to_regclass('system.pgmigrations')::text as table
       union all select to_regclass('public.pgmigrations')::text`,
    );
    expect(rows.map((row) => row.table)).toEqual(['system.pgmigrations', null]);
  });

  it('do nothing when run a second time', async () => {
    const db = await emptyDatabase();
    await runMigrations(db.url);

    expect(await runMigrations(db.url)).toEqual([]);
    expect(await settingsRows(db)).toEqual(DEFAULT_INTERVALS);
  });

  it('let several replicas migrate at once: one applies, the others wait and find nothing', async () => {
    const db = await emptyDatabase();

    const results = await Promise.all([1, 2, 3].map(() => runMigrations(db.url)));

    expect(results.map((applied) => applied.length).sort()).toEqual([0, 0, MIGRATION_COUNT]);
    expect(await settingsRows(db)).toEqual(DEFAULT_INTERVALS);
  });

  it("keep an operator's interval when run again", async () => {
    const db = await emptyDatabase();
    await runMigrations(db.url);
    await new PostgresSettingsStore(db.pool).saveInterval('orders', 45);

    await runMigrations(db.url);

    expect(await settingsRows(db)).toEqual({ ...DEFAULT_INTERVALS, orders: 45 });
  });

  it('keep data when re-applied over existing objects after their history was lost', async () => {
    const db = await emptyDatabase();
    await runMigrations(db.url);
    await db.pool.query(
      "update system.sync_settings set interval_minutes = 90 where sync_type = 'prices'",
    );
    await insertAgents(db.pool, [{ id: 'a-1', username: 'anna' }]);
    await new PostgresSettingsStore(db.pool).saveRunning(false);
    await db.pool.query(`insert into system.sync_last_runs values ('orders', now())`);
    await db.pool.query(
      `insert into system.sync_events (job_id, sync_type, user_id, success, finished_at)
       values ('job-1', 'orders', 'a-1', true, now())`,
    );
    await db.pool.query('drop table system.pgmigrations');

    expect(await runMigrations(db.url)).toHaveLength(MIGRATION_COUNT);

    expect(await settingsRows(db)).toEqual({ ...DEFAULT_INTERVALS, prices: 90 });
    expect(await new PostgresAgentRegistry(db.pool).listActiveAgentIds()).toEqual(['a-1']);
    expect((await new PostgresSettingsStore(db.pool).loadSettings()).running).toBe(false);
    const { rows } = await db.pool.query(
      `select (select count(*) from system.sync_last_runs)::int as runs,
              (select count(*) from system.sync_events)::int as events,
              (select count(*) from pg_trigger where tgname like '%_notify')::int as triggers`,
    );
    expect(rows[0]).toEqual({ runs: 1, events: 1, triggers: 2 });
  });

  it("start a fresh install running, and keep an operator's stop when run again", async () => {
    const db = await emptyDatabase();
    await runMigrations(db.url);
    const store = new PostgresSettingsStore(db.pool);
    expect((await store.loadSettings()).running).toBe(true);

    await store.saveRunning(false);
    await runMigrations(db.url);

    expect((await store.loadSettings()).running).toBe(false);
  });

  it('announce every change to the desired state on sync_scheduler_settings', async () => {
    const db = await emptyDatabase();
    await runMigrations(db.url);
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    try {
      const payloads: string[] = [];
      listener.on('notification', (message) => {
        if (message.channel === 'sync_scheduler_settings') payloads.push(message.payload ?? '');
      });
      await listener.query('listen sync_scheduler_settings');

      // By hand, as an operator might: every statement that touches the tables counts.
      await db.pool.query(
        "update system.sync_settings set enabled = false where sync_type = 'ddt'",
      );
      await db.pool.query('update system.scheduler_state set running = false');
      await db.pool.query("delete from system.sync_settings where sync_type = 'prices'");
      // Not the desired state: no notification.
      await db.pool.query(`insert into system.sync_last_runs values ('orders', now())`);

      await vi.waitFor(() => expect(payloads).toHaveLength(3), { timeout: 2_000 });
      // The payload is the version each change committed: one bump per statement here, in order.
      const versions = payloads.map(Number);
      expect(versions.every(Number.isSafeInteger)).toBe(true);
      expect(versions).toEqual([versions[0], versions[0]! + 1, versions[0]! + 2]);
      const { rows } = await db.pool.query('select version from system.desired_state_version');
      expect(Number(rows[0].version)).toBe(versions[2]);
    } finally {
      await listener.end();
    }
  });

  it('bump the version once per transaction, however many statements change the state', async () => {
    const db = await emptyDatabase();
    await runMigrations(db.url);
    const version = async () =>
      Number(
        (await db.pool.query('select version from system.desired_state_version')).rows[0].version,
      );
    const before = await version();
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      // INSERT ... ON CONFLICT DO UPDATE fires both the INSERT and the UPDATE triggers.
      await client.query(
        `insert into system.sync_settings (sync_type, interval_minutes) values ('orders', 12)
         on conflict (sync_type) do update set interval_minutes = excluded.interval_minutes`,
      );
      await client.query('update system.scheduler_state set running = false');
      await client.query('commit');
    } finally {
      client.release();
    }
    expect(await version()).toBe(before + 1);
    await db.pool.query('delete from system.desired_state_version');
    await db.pool.query("update system.sync_settings set enabled = false where sync_type = 'ddt'");
    // A version row deleted by hand comes back above every version handed out before.
    expect(await version()).toBeGreaterThan(before + 1);
  });

  it('announce a change made by hand', async () => {
    const db = await emptyDatabase();
    await runMigrations(db.url);
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    try {
      const payloads: string[] = [];
      listener.on('notification', (message) => payloads.push(message.payload ?? ''));
      await listener.query('listen sync_scheduler_settings');
      await db.pool.query('update system.scheduler_state set running = false');
      await vi.waitFor(() => expect(payloads).toHaveLength(1), { timeout: 2_000 });
    } finally {
      await listener.end();
    }
  });

  it("leave a host application's existing agents.users table alone, and read it", async () => {
    const db = await emptyDatabase();
    await db.pool.query(`
      create schema agents;
      create table agents.users (
        id text primary key,
        username text not null,
        email text,
        whitelisted boolean not null default false,
        created_at timestamptz not null default now()
      );
      insert into agents.users (id, username, email, whitelisted) values
        ('u-2', 'bruno', 'bruno@example.test', true),
        ('u-1', 'anna', 'anna@example.test', true),
        ('u-3', 'carla', null, false);
    `);

    await runMigrations(db.url);

    expect(await columnsOf(db, 'agents', 'users')).toEqual([
      'id',
      'username',
      'email',
      'whitelisted',
      'created_at',
    ]);
    const { rows: indexes } = await db.pool.query<{ indexname: string }>(
      "select indexname from pg_indexes where schemaname = 'agents' and tablename = 'users'",
    );
    expect(indexes.map((index) => index.indexname)).toEqual(['users_pkey']);
    const { rows: defaults } = await db.pool.query<{ column_default: string }>(
      `select column_default from information_schema.columns
       where table_schema = 'agents' and table_name = 'users' and column_name = 'whitelisted'`,
    );
    expect(defaults[0]?.column_default).toBe('false');
    expect(await new PostgresAgentRegistry(db.pool).listActiveAgentIds()).toEqual(['u-1', 'u-2']);
  });

  describe('sync_events index', () => {
    const eventIndexes = async (db: TestDatabase): Promise<string[]> => {
      const { rows } = await db.pool.query<{ indexdef: string }>(
        `select indexdef from pg_indexes
         where schemaname = 'system' and tablename = 'sync_events' and indexname like '%_idx'
         order by indexname`,
      );
      return rows.map((row) => row.indexdef.replace(/^.* USING btree /, ''));
    };

    it('orders each type by finish time with the id tie-break the history query uses', async () => {
      const db = await emptyDatabase();

      await runMigrations(db.url);

      expect(await eventIndexes(db)).toEqual(['(sync_type, finished_at DESC, id DESC)']);
    });

    it('end with that one index when re-applied after their history was lost', async () => {
      const db = await emptyDatabase();
      await runMigrations(db.url);
      await db.pool.query('drop table system.pgmigrations');

      expect(await runMigrations(db.url)).toHaveLength(MIGRATION_COUNT);
      expect(await runMigrations(db.url)).toEqual([]);

      expect(await eventIndexes(db)).toEqual(['(sync_type, finished_at DESC, id DESC)']);
    });

    it('serve the newest events of a type from the index, without a sort', async () => {
      const db = await emptyDatabase();
      await runMigrations(db.url);
      // An empty table would be read whole; ask what the planner does once it has rows.
      const client = await db.pool.connect();
      const { rows } = await (async () => {
        try {
          await client.query('set enable_seqscan = off; set enable_bitmapscan = off');
          return await client.query<{ 'QUERY PLAN': string }>(
            `explain select * from system.sync_events where sync_type = 'orders'
             order by finished_at desc, id desc limit 10`,
          );
        } finally {
          client.release(true);
        }
      })();

      const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
      expect(plan).toContain('sync_events_sync_type_finished_at_id_idx');
      expect(plan).not.toContain('Sort');
    });
  });

  describe('sync_decisions', () => {
    const insert = (db: TestDatabase, type: string, cls: string, count: number): Promise<unknown> =>
      db.pool.query(
        `insert into system.sync_decisions (sync_type, decided_at, class, count)
         values ($1, now(), $2, $3)`,
        [type, cls, count],
      );

    it('hold one counted class per row, indexed for the newest of each type', async () => {
      const db = await emptyDatabase();

      await runMigrations(db.url);

      expect(await columnsOf(db, 'system', 'sync_decisions')).toEqual([
        'id',
        'sync_type',
        'decided_at',
        'class',
        'count',
      ]);
      const { rows } = await db.pool.query<{ indexdef: string }>(
        `select indexdef from pg_indexes
         where schemaname = 'system' and tablename = 'sync_decisions' and indexname like '%_idx'`,
      );
      expect(rows.map((row) => row.indexdef.replace(/^.* USING btree /, ''))).toEqual([
        '(sync_type, decided_at DESC, id DESC)',
      ]);
      await insert(db, 'orders', 'skipped_breaker', 1);
      await insert(db, 'orders', 'released', 40); // the jobs a tick added to the queue
      await expect(insert(db, 'orders', 'completed', 1)).rejects.toThrow(/class_check/);
      await expect(insert(db, 'orders', 'deduplicated', 0)).rejects.toThrow(/count_check/);
      await expect(insert(db, 'stock', 'deduplicated', 1)).rejects.toThrow(/sync_type_check/);
    });
  });

  describe('sync_counts', () => {
    const countRows = async (db: TestDatabase) =>
      (
        await db.pool.query<{ sync_type: string; bucket: Date; class: string; count: string }>(
          'select * from system.sync_counts order by sync_type, bucket, class',
        )
      ).rows.map((row) => [row.sync_type, row.bucket.toISOString(), row.class, Number(row.count)]);

    it('hold one count per (type, minute, class), keyed for the charts and the upserts', async () => {
      const db = await emptyDatabase();

      await runMigrations(db.url);

      expect(await columnsOf(db, 'system', 'sync_counts')).toEqual([
        'sync_type',
        'bucket',
        'class',
        'count',
      ]);
      const { rows } = await db.pool.query<{ indexdef: string }>(
        `select indexdef from pg_indexes where schemaname = 'system' and tablename = 'sync_counts'`,
      );
      expect(rows.map((row) => row.indexdef.replace(/^.* USING btree /, ''))).toEqual([
        '(sync_type, bucket, class)',
      ]);
      const insert = (type: string, cls: string, count: number) =>
        db.pool.query(
          `insert into system.sync_counts values ($1, '2026-12-01T08:00:00Z', $2, $3)`,
          [type, cls, count],
        );
      for (const cls of ['completed', 'failed', 'released', 'deferred_budget']) {
        await insert('orders', cls, 1);
      }
      await expect(insert('orders', 'completed', 1)).rejects.toThrow(/sync_counts_pkey/);
      await expect(insert('ddt', 'pending', 1)).rejects.toThrow(/class_check/);
      await expect(insert('ddt', 'failed', 0)).rejects.toThrow(/count_check/);
      await expect(insert('stock', 'failed', 1)).rejects.toThrow(/sync_type_check/);
    });

    it('count what the history already holds, per minute, once, when applied over it', async () => {
      const db = await emptyDatabase();
      await runMigrations(db.url);
      await db.pool.query(
        `insert into system.sync_events (job_id, sync_type, user_id, success, finished_at) values
           ('j-1', 'orders', 'a-1', true, '2026-12-01T08:00:00Z'),
           ('j-2', 'orders', 'a-2', true, '2026-12-01T08:00:59.999Z'),
           ('j-3', 'orders', 'a-3', false, '2026-12-01T08:00:30Z'),
           ('j-4', 'orders', 'a-1', true, '2026-12-01T08:01:00Z');
         insert into system.sync_decisions (sync_type, decided_at, class, count) values
           ('orders', '2026-12-01T08:00:10Z', 'released', 40),
           ('orders', '2026-12-01T08:00:50Z', 'released', 2);
         -- Already counted (its writer did it): left as it is.
         insert into system.sync_counts values ('orders', '2026-12-01T08:01:00Z', 'completed', 5);`,
      );
      await db.pool.query('drop table system.pgmigrations');

      await runMigrations(db.url);

      expect(await countRows(db)).toEqual([
        ['orders', '2026-12-01T08:00:00.000Z', 'completed', 2],
        ['orders', '2026-12-01T08:00:00.000Z', 'failed', 1],
        ['orders', '2026-12-01T08:00:00.000Z', 'released', 42],
        ['orders', '2026-12-01T08:01:00.000Z', 'completed', 5],
      ]);
    });
  });

  describe('sync_settings constraints', () => {
    const insert = async (db: TestDatabase, type: string, minutes: number): Promise<unknown> =>
      db.pool.query(
        'insert into system.sync_settings (sync_type, interval_minutes) values ($1, $2)',
        [type, minutes],
      );
    const update = async (db: TestDatabase, minutes: number): Promise<unknown> =>
      db.pool.query(
        "update system.sync_settings set interval_minutes = $1 where sync_type = 'orders'",
        [minutes],
      );
    const checkViolation = { code: '23514' };

    it('reject an interval below 5 or above 1440 minutes', async () => {
      const db = await emptyDatabase();
      await runMigrations(db.url);

      await expect(update(db, 4)).rejects.toMatchObject(checkViolation);
      await expect(update(db, 1441)).rejects.toMatchObject(checkViolation);
      await expect(update(db, 5)).resolves.toBeDefined();
      await expect(update(db, 1440)).resolves.toBeDefined();
    });

    it('reject an unknown sync type', async () => {
      const db = await emptyDatabase();
      await runMigrations(db.url);

      await expect(insert(db, 'sync-orders', 10)).rejects.toMatchObject(checkViolation);
      await expect(insert(db, 'stock', 10)).rejects.toMatchObject(checkViolation);
    });
  });

  describe('constraints of the later tables', () => {
    it('keep scheduler_state to a single row', async () => {
      const db = await emptyDatabase();
      await runMigrations(db.url);

      await expect(
        db.pool.query('insert into system.scheduler_state (id, running) values (false, true)'),
      ).rejects.toMatchObject({ code: '23514' });
      await expect(
        db.pool.query('insert into system.scheduler_state (running) values (false)'),
      ).rejects.toMatchObject({ code: '23505' });
    });

    it('reject a last run or an event of an unknown sync type', async () => {
      const db = await emptyDatabase();
      await runMigrations(db.url);

      await expect(
        db.pool.query("insert into system.sync_last_runs values ('sync-orders', now())"),
      ).rejects.toMatchObject({ code: '23514' });
      await expect(
        db.pool.query(
          `insert into system.sync_events (job_id, sync_type, user_id, success, finished_at)
           values ('job-1', 'stock', 'a-1', true, now())`,
        ),
      ).rejects.toMatchObject({ code: '23514' });
    });

    it('keep one event per (job, finish time)', async () => {
      const db = await emptyDatabase();
      await runMigrations(db.url);
      const insert = (finishedAt: string): Promise<unknown> =>
        db.pool.query(
          `insert into system.sync_events (job_id, sync_type, user_id, success, finished_at)
           values ('job-1', 'orders', 'a-1', true, $1)`,
          [finishedAt],
        );

      await insert('2026-12-01T10:00:00Z');
      await expect(insert('2026-12-01T10:00:00Z')).rejects.toMatchObject({ code: '23505' });
      await expect(insert('2026-12-01T10:05:00Z')).resolves.toBeDefined();
    });
  });
});
