import { inject, injectable } from 'inversify';
import type { Pool } from 'pg';
import type { RunLog } from '../../domain/ports/run-log.js';
import { isSyncType, type SyncType } from '../../domain/sync-types.js';
import { unreachableAs } from '../unreachable.js';
import { PG_POOL } from './tokens.js';

@injectable()
export class PostgresRunLog implements RunLog {
  constructor(@inject(PG_POOL) private readonly pool: Pool) {}

  loadLastRuns(): Promise<Partial<Record<SyncType, number>>> {
    return unreachableAs(
      'The last run times could not be read: the database is unreachable.',
      async () => {
        const { rows } = await this.pool.query<{ sync_type: string; last_run_at: Date }>(
          'select sync_type, last_run_at from system.sync_last_runs',
        );
        const lastRuns: Partial<Record<SyncType, number>> = {};
        for (const row of rows) {
          if (isSyncType(row.sync_type)) lastRuns[row.sync_type] = row.last_run_at.getTime();
        }
        return lastRuns;
      },
    );
  }

  async recordRun(type: SyncType, at: number): Promise<void> {
    // Last write wins: only the leader records, and a clock that jumped back must be able
    // to move the phase back too (a `greatest` here would pin it in the future).
    await this.pool.query(
      `insert into system.sync_last_runs (sync_type, last_run_at)
       values ($1, $2)
       on conflict (sync_type) do update set last_run_at = excluded.last_run_at`,
      [type, new Date(at)],
    );
  }
}
