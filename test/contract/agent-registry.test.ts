import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { InMemoryAgentRegistry } from '../../src/adapters/memory/in-memory-agent-registry.js';
import type { ComponentLogLevel } from '../../src/adapters/observability/component-log.js';
import { createPool } from '../../src/adapters/postgres/pool.js';
import { PostgresAgentRegistry } from '../../src/adapters/postgres/postgres-agent-registry.js';
import { deleteAgents, insertAgents } from '../support/postgres.js';
import { useTestDatabase } from '../support/use-test-database.js';
import { describeAgentRegistryContract, type AgentRow } from './agent-registry.contract.js';

// The in-memory registry holds the list as given, so the factory does the filtering and ordering.
describeAgentRegistryContract('InMemoryAgentRegistry', async (agents, activity) => {
  const listed = agents
    .filter((agent) => agent.whitelisted)
    .toSorted((a, b) => a.username.localeCompare(b.username) || a.id.localeCompare(b.id));
  const registry = new InMemoryAgentRegistry();
  if (activity === 'recorded') {
    registry.setAgentActivity(
      listed.map(({ id, lastActivityAt }) => ({ id, lastActivityAt: lastActivityAt ?? null })),
    );
  } else {
    registry.setAgents(listed.map((agent) => agent.id));
  }
  return { registry, cleanup: async () => {} };
});

const db = useTestDatabase();

/** agents.users as the host application shapes it: with these extra columns and no other. */
async function hostColumns(columns: Record<string, string>): Promise<void> {
  const { rows } = await db().pool.query<{ column_name: string }>(
    `select column_name from information_schema.columns
     where table_schema = 'agents' and table_name = 'users'
       and column_name not in ('id', 'username', 'whitelisted')`,
  );
  for (const { column_name } of rows) {
    await db().pool.query(
      `alter table agents.users drop column ${pg.escapeIdentifier(column_name)}`,
    );
  }
  for (const [name, type] of Object.entries(columns)) {
    await db().pool.query(
      `alter table agents.users add column ${pg.escapeIdentifier(name)} ${type}`,
    );
  }
}

async function seed(agents: readonly AgentRow[], column = 'last_activity_at'): Promise<void> {
  await deleteAgents(db().pool);
  await insertAgents(db().pool, agents);
  for (const { id, lastActivityAt } of agents) {
    if (lastActivityAt == null) continue;
    await db().pool.query(
      `update agents.users set ${pg.escapeIdentifier(column)} = $2 where id = $1`,
      [id, new Date(lastActivityAt)],
    );
  }
}

describeAgentRegistryContract('PostgresAgentRegistry', async (agents, activity) => {
  await hostColumns(activity === 'recorded' ? { last_activity_at: 'timestamptz' } : {});
  await seed(activity === 'recorded' ? agents : agents.map(({ lastActivityAt: _, ...row }) => row));
  return { registry: new PostgresAgentRegistry(db().pool), cleanup: async () => {} };
});

describe('PostgresAgentRegistry and the host application’s activity column', () => {
  const SEEN = Date.UTC(2026, 11, 1, 9, 30, 15, 123);
  const AGENT: AgentRow = { id: 'a-1', username: 'anna', whitelisted: true, lastActivityAt: SEEN };

  function logged() {
    const lines: { message: string; level: ComponentLogLevel }[] = [];
    return {
      lines,
      log: (message: string, level: ComponentLogLevel) => lines.push({ message, level }),
    };
  }

  it('says once, at first use, that the column is missing, and counts every agent as active', async () => {
    await hostColumns({});
    await seed([{ ...AGENT, lastActivityAt: null }]);
    const { lines, log } = logged();
    const registry = new PostgresAgentRegistry(db().pool, { log });
    expect(lines).toEqual([]);
    await Promise.all([registry.activityKnown(), registry.listAgents(), registry.listAgents()]);
    expect(await registry.activityKnown()).toBe(false);
    expect(lines).toEqual([
      {
        level: 'warn',
        message:
          'agents.users has no column last_activity_at: every agent counts as active for the activity tiers',
      },
    ]);
  });

  it('reads the configured column, quoted (here a reserved word), and says so once', async () => {
    await hostColumns({ order: 'timestamptz' });
    await seed([AGENT], 'order');
    const { lines, log } = logged();
    const registry = new PostgresAgentRegistry(db().pool, { column: 'order', log });
    expect(await registry.listAgents()).toEqual([{ id: 'a-1', lastActivityAt: SEEN }]);
    expect(await registry.listAgents()).toEqual([{ id: 'a-1', lastActivityAt: SEEN }]);
    expect(lines).toEqual([
      {
        level: 'info',
        message: expect.stringMatching(/^agents\.users\.order \(timestamp with time zone\)/),
      },
    ]);
  });

  it('reads a timestamp without time zone in the session’s time zone', async () => {
    await hostColumns({ last_activity_at: 'timestamp' });
    await seed([{ ...AGENT, lastActivityAt: null }]);
    await db().pool.query(
      `update agents.users set last_activity_at = '2026-12-01 10:30:15.123' where id = 'a-1'`,
    );
    const rome = new pg.Pool({ connectionString: db().url, options: '-c TimeZone=Europe/Rome' });
    try {
      const registry = new PostgresAgentRegistry(rome);
      expect(await registry.activityKnown()).toBe(true);
      // 10:30 in Rome, in December (CET), is 09:30 UTC.
      expect(await registry.listAgents()).toEqual([{ id: 'a-1', lastActivityAt: SEEN }]);
    } finally {
      await rome.end();
    }
  });

  it('treats a column of another type as missing, and says why', async () => {
    await hostColumns({ last_activity_at: 'text' });
    await seed([AGENT].map(({ lastActivityAt: _, ...row }) => row));
    await db().pool.query(`update agents.users set last_activity_at = 'yesterday'`);
    const { lines, log } = logged();
    const registry = new PostgresAgentRegistry(db().pool, { log });
    expect(await registry.activityKnown()).toBe(false);
    expect(await registry.listAgents()).toEqual([{ id: 'a-1', lastActivityAt: null }]);
    expect(lines).toEqual([
      {
        level: 'warn',
        message:
          'agents.users.last_activity_at is text, not a timestamp: every agent counts as active for the activity tiers',
      },
    ]);
  });

  it('gives ±infinity as never seen', async () => {
    await hostColumns({ last_activity_at: 'timestamptz' });
    await seed([AGENT, { id: 'a-2', username: 'bruno', whitelisted: true }]);
    await db().pool.query(`update agents.users set last_activity_at = 'infinity' where id = 'a-1'`);
    await db().pool.query(
      `update agents.users set last_activity_at = '-infinity' where id = 'a-2'`,
    );
    expect(await new PostgresAgentRegistry(db().pool).listAgents()).toEqual([
      { id: 'a-1', lastActivityAt: null },
      { id: 'a-2', lastActivityAt: null },
    ]);
  });

  it('does not keep a check that failed: the next call checks again', async () => {
    await hostColumns({ last_activity_at: 'timestamptz' });
    await seed([AGENT]);
    let failures = 1;
    const flaky = {
      query: (...args: Parameters<pg.Pool['query']>) =>
        failures-- > 0
          ? Promise.reject(
              Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
            )
          : (db().pool.query as (...a: unknown[]) => Promise<unknown>)(...args),
    } as unknown as pg.Pool;
    const registry = new PostgresAgentRegistry(flaky);
    await expect(registry.activityKnown()).rejects.toMatchObject({ kind: 'unavailable' });
    expect(await registry.activityKnown()).toBe(true);
    expect(await registry.listAgents()).toEqual([{ id: 'a-1', lastActivityAt: SEEN }]);
  });

  it('rejects every call as unavailable when PostgreSQL is unreachable', async () => {
    // Nothing listens on port 1: every call is refused at connect.
    const pool = createPool('postgres://postgres@127.0.0.1:1/postgres', {
      connectionTimeoutMs: 1_000,
    });
    try {
      const registry = new PostgresAgentRegistry(pool);
      for (const call of [
        () => registry.listActiveAgentIds(),
        () => registry.listAgents(),
        () => registry.activityKnown(),
      ]) {
        await expect(call()).rejects.toMatchObject({ kind: 'unavailable' });
      }
    } finally {
      await pool.end();
    }
  });
});
