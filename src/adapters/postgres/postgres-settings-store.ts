import { inject, injectable } from 'inversify';
import type { Pool } from 'pg';
import { DEFAULT_INTERVALS, type Intervals } from '../../domain/interval.js';
import type {
  SettingsStore,
  SyncSettings,
  TypeSettings,
} from '../../domain/ports/settings-store.js';
import { isSyncType, SYNC_TYPES, type SyncType } from '../../domain/sync-types.js';
import { PG_POOL } from './tokens.js';

interface SettingsRow {
  running: boolean;
  /** null when system.sync_settings is empty (the left join still yields the state row). */
  sync_type: string | null;
  interval_minutes: number | null;
  enabled: boolean | null;
}

@injectable()
export class PostgresSettingsStore implements SettingsStore {
  constructor(@inject(PG_POOL) private readonly pool: Pool) {}

  async loadSettings(): Promise<SyncSettings> {
    // One round trip, one snapshot: the flag and the types can't come from different commits.
    const { rows } = await this.pool.query<SettingsRow>(
      `select state.running, s.sync_type, s.interval_minutes, s.enabled
       from (select coalesce((select running from system.scheduler_state), true) as running) state
       left join system.sync_settings s on true`,
    );
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
    return { running: rows[0]?.running ?? true, types };
  }

  async loadIntervals(): Promise<Intervals> {
    const { types } = await this.loadSettings();
    return Object.fromEntries(
      SYNC_TYPES.map((type) => [type, types[type].intervalMinutes]),
    ) as Record<SyncType, number>;
  }

  async saveInterval(type: SyncType, minutes: number): Promise<void> {
    await this.pool.query(
      `insert into system.sync_settings (sync_type, interval_minutes)
       values ($1, $2)
       on conflict (sync_type)
       do update set interval_minutes = excluded.interval_minutes, updated_at = now()`,
      [type, minutes],
    );
  }

  async saveEnabled(type: SyncType, enabled: boolean): Promise<void> {
    // A missing row is recreated with the interval loadSettings was already reporting for it.
    await this.pool.query(
      `insert into system.sync_settings (sync_type, interval_minutes, enabled)
       values ($1, $2, $3)
       on conflict (sync_type)
       do update set enabled = excluded.enabled, updated_at = now()`,
      [type, DEFAULT_INTERVALS[type], enabled],
    );
  }

  async saveRunning(running: boolean): Promise<void> {
    await this.pool.query(
      `insert into system.scheduler_state (id, running)
       values (true, $1)
       on conflict (id)
       do update set running = excluded.running, updated_at = now()`,
      [running],
    );
  }
}
