import { inject, injectable } from 'inversify';
import type { Pool, PoolClient } from 'pg';
import { DEFAULT_INTERVALS, type Intervals } from '../../domain/interval.js';
import type {
  SettingsStore,
  SyncSettings,
  TypeSettings,
} from '../../domain/ports/settings-store.js';
import { isSyncType, SYNC_TYPES, type SyncType } from '../../domain/sync-types.js';
import { unreachableAs } from '../unreachable.js';
import { PG_POOL } from './tokens.js';

interface SettingsRow {
  version: string;
  running: boolean;
  /** null when system.sync_settings is empty (the left join still yields the state row). */
  sync_type: string | null;
  interval_minutes: number | null;
  enabled: boolean | null;
}

/** One statement, one snapshot: version, flag and types can't come from different commits. */
const SNAPSHOT = `select
    coalesce((select version from system.desired_state_version), 0)::text as version,
    state.running, s.sync_type, s.interval_minutes, s.enabled
  from (select coalesce((select running from system.scheduler_state), true) as running) state
  left join system.sync_settings s on true`;

const UNREACHABLE_LOAD =
  'The saved settings could not be loaded: the settings store is unreachable.';
const UNREACHABLE_SAVE = 'The change could not be saved: the settings store is unreachable.';

@injectable()
export class PostgresSettingsStore implements SettingsStore {
  constructor(@inject(PG_POOL) private readonly pool: Pool) {}

  loadSettings(): Promise<SyncSettings> {
    return unreachableAs(UNREACHABLE_LOAD, async () =>
      toSettings((await this.pool.query<SettingsRow>(SNAPSHOT)).rows),
    );
  }

  async loadIntervals(): Promise<Intervals> {
    const { types } = await this.loadSettings();
    return Object.fromEntries(
      SYNC_TYPES.map((type) => [type, types[type].intervalMinutes]),
    ) as Record<SyncType, number>;
  }

  saveInterval(type: SyncType, minutes: number): Promise<SyncSettings> {
    return this.change(
      `insert into system.sync_settings (sync_type, interval_minutes)
       values ($1, $2)
       on conflict (sync_type)
       do update set interval_minutes = excluded.interval_minutes, updated_at = now()`,
      [type, minutes],
    );
  }

  saveEnabled(type: SyncType, enabled: boolean): Promise<SyncSettings> {
    // A missing row is recreated with the interval loadSettings was already reporting for it.
    return this.change(
      `insert into system.sync_settings (sync_type, interval_minutes, enabled)
       values ($1, $2, $3)
       on conflict (sync_type)
       do update set enabled = excluded.enabled, updated_at = now()`,
      [type, DEFAULT_INTERVALS[type], enabled],
    );
  }

  saveRunning(running: boolean): Promise<SyncSettings> {
    return this.change(
      `insert into system.scheduler_state (id, running)
       values (true, $1)
       on conflict (id)
       do update set running = excluded.running, updated_at = now()`,
      [running],
    );
  }

  /**
   * The write, its version bump (the trigger) and the snapshot read back in one transaction:
   * the trigger holds the version row's lock until commit, so no other change can land
   * between the write and the snapshot, and the snapshot is exactly what this change made.
   */
  private change(sql: string, params: unknown[]): Promise<SyncSettings> {
    return unreachableAs(UNREACHABLE_SAVE, async () => {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('begin');
        await client.query(sql, params);
        const { rows } = await client.query<SettingsRow>(SNAPSHOT);
        await client.query('commit');
        return toSettings(rows);
      } catch (error) {
        broken = await rollback(client, error);
        throw error;
      } finally {
        client.release(broken);
      }
    });
  }
}

/** Rolls back; a client whose rollback failed is handed back as broken (the pool drops it). */
async function rollback(client: PoolClient, error: unknown): Promise<Error | undefined> {
  try {
    await client.query('rollback');
    return undefined;
  } catch {
    return error instanceof Error ? error : new Error(String(error));
  }
}

function toSettings(rows: readonly SettingsRow[]): SyncSettings {
  // Rows deleted by hand fall back to the defaults of a fresh install rather than failing boot.
  const types = Object.fromEntries(
    SYNC_TYPES.map((type) => [type, { intervalMinutes: DEFAULT_INTERVALS[type], enabled: true }]),
  ) as Record<SyncType, TypeSettings>;
  for (const row of rows) {
    if (isSyncType(row.sync_type) && row.interval_minutes !== null) {
      types[row.sync_type] = {
        intervalMinutes: row.interval_minutes,
        enabled: row.enabled ?? true,
      };
    }
  }
  return {
    version: Number(rows[0]?.version ?? 0),
    running: rows[0]?.running ?? true,
    types,
  };
}
