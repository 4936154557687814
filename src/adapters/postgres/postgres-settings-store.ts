import { inject, injectable } from 'inversify';
import pg, { type Pool, type QueryResult } from 'pg';
import { DEFAULT_INTERVALS, type Intervals } from '../../domain/interval.js';
import { defaultTypeSettings } from '../../domain/desired-state.js';
import type { AuditEntry } from '../../domain/ports/audit-log.js';
import type {
  SettingsStore,
  SyncSettings,
  TypeSettings,
  TypeSettingsPatch,
} from '../../domain/ports/settings-store.js';
import type { WorkingWindow } from '../../domain/working-hours.js';
import { DEFAULT_TIER_MULTIPLIERS } from '../../domain/activity.js';
import { isSyncType, SYNC_TYPES, type SyncType } from '../../domain/sync-types.js';
import { unreachableAs } from '../unreachable.js';
import { auditedWrite, jsonLiteral } from './audit-sql.js';
import { changeDeadline, deadlineGuard } from './pool.js';
import { PG_POOL } from './tokens.js';

const { escapeLiteral } = pg;

interface SettingsRow {
  version: string;
  running: boolean;
  /** null when system.sync_settings is empty (the left join still yields the state row). */
  sync_type: string | null;
  interval_minutes: number | null;
  enabled: boolean | null;
  idle_multiplier: number | null;
  offline_multiplier: number | null;
  working_window: WorkingWindow | null;
}

/** One statement, one snapshot: version, flag and types can't come from different commits. */
const SNAPSHOT = `select
    coalesce((select version from system.desired_state_version), 0)::text as version,
    state.running, s.sync_type, s.interval_minutes, s.enabled,
    s.idle_multiplier, s.offline_multiplier, s.working_window
  from (select coalesce((select running from system.scheduler_state), true) as running) state
  left join system.sync_settings s on true`;

const UNREACHABLE_LOAD =
  'The saved settings could not be loaded: the settings store is unreachable.';
const UNREACHABLE_SAVE = 'The change could not be saved: the settings store is unreachable.';

/**
 * What an audited change records: `view`, a jsonb expression over the changed row's columns,
 * read from `row` before the write and from the written row after it.
 */
interface Audit {
  readonly entry: AuditEntry | undefined;
  readonly view: string;
  /** `<table> where <the changed row>` */
  readonly row: string;
  /** The view of a row that did not exist: what loadSettings reported for it. */
  readonly fallback: unknown;
}

const COLUMN_OF = {
  intervalMinutes: 'interval_minutes',
  idleMultiplier: 'idle_multiplier',
  offlineMultiplier: 'offline_multiplier',
} as const;
const PATCH_FIELDS = Object.keys(COLUMN_OF) as (keyof typeof COLUMN_OF)[];

const typeRow = (type: SyncType): string =>
  `system.sync_settings where sync_type = ${typeLiteral(type)}`;

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

  async saveInterval(type: SyncType, minutes: number, audit?: AuditEntry): Promise<SyncSettings> {
    return this.change(
      `insert into system.sync_settings (sync_type, interval_minutes)
       values (${typeLiteral(type)}, ${integerLiteral(minutes)})
       on conflict (sync_type)
       do update set interval_minutes = excluded.interval_minutes, updated_at = now()`,
      this.patchAudit(type, ['intervalMinutes'], audit),
    );
  }

  async saveTypeSettings(
    type: SyncType,
    patch: TypeSettingsPatch,
    audit?: AuditEntry,
  ): Promise<SyncSettings> {
    const columns: [string, number][] = [];
    if (patch.intervalMinutes !== undefined)
      columns.push(['interval_minutes', patch.intervalMinutes]);
    if (patch.idleMultiplier !== undefined) columns.push(['idle_multiplier', patch.idleMultiplier]);
    if (patch.offlineMultiplier !== undefined)
      columns.push(['offline_multiplier', patch.offlineMultiplier]);
    if (columns.length === 0) return this.loadSettings();
    const interval = patch.intervalMinutes ?? DEFAULT_INTERVALS[type];
    const names = columns.map(([name]) => name).filter((name) => name !== 'interval_minutes');
    const values = columns
      .filter(([name]) => name !== 'interval_minutes')
      .map(([, value]) => integerLiteral(value));
    // A missing row is created with the interval loadSettings was already reporting for it.
    return this.change(
      `insert into system.sync_settings (sync_type, interval_minutes${names.map((n) => `, ${n}`).join('')})
       values (${typeLiteral(type)}, ${integerLiteral(interval)}${values.map((v) => `, ${v}`).join('')})
       on conflict (sync_type)
       do update set ${columns.map(([name]) => `${name} = excluded.${name}`).join(', ')}, updated_at = now()`,
      this.patchAudit(
        type,
        PATCH_FIELDS.filter((field) => patch[field] !== undefined),
        audit,
      ),
    );
  }

  async saveWindow(
    type: SyncType,
    window: WorkingWindow | null,
    audit?: AuditEntry,
  ): Promise<SyncSettings> {
    const value = window === null ? 'null' : `${escapeLiteral(JSON.stringify(window))}::jsonb`;
    return this.change(
      `insert into system.sync_settings (sync_type, interval_minutes, working_window)
       values (${typeLiteral(type)}, ${integerLiteral(DEFAULT_INTERVALS[type])}, ${value})
       on conflict (sync_type)
       do update set working_window = excluded.working_window, updated_at = now()`,
      {
        entry: audit,
        view: `jsonb_build_object('window', working_window)`,
        row: typeRow(type),
        fallback: { window: null },
      },
    );
  }

  async saveEnabled(type: SyncType, enabled: boolean, audit?: AuditEntry): Promise<SyncSettings> {
    // A missing row is recreated with the interval loadSettings was already reporting for it.
    return this.change(
      `insert into system.sync_settings (sync_type, interval_minutes, enabled)
       values (${typeLiteral(type)}, ${integerLiteral(DEFAULT_INTERVALS[type])}, ${booleanLiteral(enabled)})
       on conflict (sync_type)
       do update set enabled = excluded.enabled, updated_at = now()`,
      {
        entry: audit,
        view: `jsonb_build_object('enabled', enabled)`,
        row: typeRow(type),
        fallback: { enabled: true },
      },
    );
  }

  async saveRunning(running: boolean, audit?: AuditEntry): Promise<SyncSettings> {
    return this.change(
      `insert into system.scheduler_state (id, running)
       values (true, ${booleanLiteral(running)})
       on conflict (id)
       do update set running = excluded.running, updated_at = now()`,
      {
        entry: audit,
        view: `jsonb_build_object('running', running)`,
        row: 'system.scheduler_state where id',
        fallback: { running: true },
      },
    );
  }

  /** The patched fields only, by their API names. */
  private patchAudit(
    type: SyncType,
    fields: readonly (keyof typeof COLUMN_OF)[],
    entry: AuditEntry | undefined,
  ): Audit {
    const defaults = defaultTypeSettings(type);
    return {
      entry,
      view: `jsonb_build_object(${fields.map((f) => `'${f}', ${COLUMN_OF[f]}`).join(', ')})`,
      row: typeRow(type),
      fallback: Object.fromEntries(fields.map((f) => [f, defaults[f]])),
    };
  }

  /**
   * The write, its version bump (the trigger) and the snapshot read back in one transaction
   * and one round trip: several statements in one simple-protocol query run as one implicit
   * transaction, and the trigger holds the version row's lock until it commits, so no other
   * change can land between the write and the snapshot: the snapshot is exactly what this
   * change made. (One round trip matters: a slow database costs one latency, not four.)
   * Parameters are not possible in a multi-statement query, so every value is rendered from
   * an already validated type, integer or boolean (or escaped JSON); a value that is not one is
   * a bug, and the writers are async so that it rejects like any other failure, never throws.
   * An audited change is the same write inside one statement that also inserts the audit row
   * with the values before (read by that statement, which does not see its own write) and
   * after (the write's `returning`): the row lands with the change or not at all. A change
   * that reaches the server after the client would have given up on it aborts instead of
   * committing (deadlineGuard), so "could not be saved" stays true after a partition heals.
   */
  private change(write: string, audit: Audit): Promise<SyncSettings> {
    const { entry, view, row, fallback } = audit;
    const statement = entry
      ? auditedWrite({
          entry,
          old: `select ${view} as v from ${row}`,
          written: `${write} returning ${view} as v`,
          fallback: jsonLiteral(fallback),
        })
      : write;
    return unreachableAs(UNREACHABLE_SAVE, async () => {
      // The guard comes after the write (which may wait for the version row's lock) and
      // before the snapshot (a read that waits for nothing), so the commit follows it at once.
      const guard = deadlineGuard(changeDeadline(this.pool));
      const results = (await this.pool.query(
        `${statement};\n${guard};\n${SNAPSHOT}`,
      )) as unknown as QueryResult<SettingsRow>[];
      const snapshot = results.at(-1);
      if (!Array.isArray(results) || !snapshot)
        throw new Error('settings store: unexpected reply to a change');
      return toSettings(snapshot.rows);
    });
  }
}

const typeLiteral = (type: SyncType): string => {
  if (!isSyncType(type)) throw new TypeError(`not a sync type: ${String(type)}`);
  return escapeLiteral(type);
};

const integerLiteral = (value: number): string => {
  if (!Number.isSafeInteger(value)) throw new TypeError(`not an integer: ${value}`);
  return String(value);
};

const booleanLiteral = (value: boolean): string => (value ? 'true' : 'false');

function toSettings(rows: readonly SettingsRow[]): SyncSettings {
  // Rows deleted by hand fall back to the defaults of a fresh install rather than failing boot.
  const types = Object.fromEntries(
    SYNC_TYPES.map((type) => [type, defaultTypeSettings(type)]),
  ) as Record<SyncType, TypeSettings>;
  for (const row of rows) {
    if (isSyncType(row.sync_type) && row.interval_minutes !== null) {
      types[row.sync_type] = {
        intervalMinutes: row.interval_minutes,
        enabled: row.enabled ?? true,
        idleMultiplier: row.idle_multiplier ?? DEFAULT_TIER_MULTIPLIERS.idleMultiplier,
        offlineMultiplier: row.offline_multiplier ?? DEFAULT_TIER_MULTIPLIERS.offlineMultiplier,
        window: row.working_window ?? null,
      };
    }
  }
  return {
    version: Number(rows[0]?.version ?? 0),
    running: rows[0]?.running ?? true,
    types,
  };
}
