import { inject, injectable } from 'inversify';
import type { Pool } from 'pg';
import { DEFAULT_INTERVALS, type Intervals } from '../../domain/interval.js';
import type { SettingsStore } from '../../domain/ports/settings-store.js';
import { isSyncType, type SyncType } from '../../domain/sync-types.js';
import { PG_POOL } from './tokens.js';

interface SettingRow {
  sync_type: string;
  interval_minutes: number;
}

@injectable()
export class PostgresSettingsStore implements SettingsStore {
  constructor(@inject(PG_POOL) private readonly pool: Pool) {}

  async loadIntervals(): Promise<Intervals> {
    const { rows } = await this.pool.query<SettingRow>(
      'select sync_type, interval_minutes from system.sync_settings',
    );
    // A missing row (deleted by hand) falls back to its default rather than failing boot.
    const intervals: Record<SyncType, number> = { ...DEFAULT_INTERVALS };
    for (const row of rows) {
      if (isSyncType(row.sync_type)) intervals[row.sync_type] = row.interval_minutes;
    }
    return intervals;
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
}
