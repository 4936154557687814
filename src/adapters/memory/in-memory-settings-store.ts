import { defaultTypeSettings, intervalsOf } from '../../domain/desired-state.js';
import { DEFAULT_INTERVALS, type Intervals } from '../../domain/interval.js';
import type { AuditEntry, AuditValue } from '../../domain/ports/audit-log.js';
import type { Cancel } from '../../domain/ports/clock.js';
import type { SettingsFeed } from '../../domain/ports/settings-feed.js';
import type {
  SettingsStore,
  SyncSettings,
  TypeSettings,
  TypeSettingsPatch,
} from '../../domain/ports/settings-store.js';
import type { WorkingWindow } from '../../domain/working-hours.js';
import { asAdapterFailure } from './failure.js';
import { InMemoryAuditLog } from './in-memory-audit-log.js';
import { SYNC_TYPES, type SyncType } from '../../domain/sync-types.js';

const PATCH_FIELDS = ['intervalMinutes', 'idleMultiplier', 'offlineMultiplier'] as const;

/** An audited write: the entry, and what it records before and after (the store's view). */
interface Audited {
  readonly entry: AuditEntry | undefined;
  readonly view: () => AuditValue;
}

const windowValue = (window: WorkingWindow | null): AuditValue =>
  window && { from: window.from, to: window.to, days: [...window.days], timeZone: window.timeZone };

/** The desired state in memory; doubles as the feed that announces its own changes. */
export class InMemorySettingsStore implements SettingsStore, SettingsFeed {
  private readonly types: Record<SyncType, TypeSettings>;
  private running = true;
  private version = 1;
  private failure: Error | null = null;
  private readonly listeners = new Set<(version?: number) => void>();
  /** Reads parked by `holdReads`, released by `releaseReads`: a slow SELECT, on demand. */
  private held: (() => void)[] | null = null;

  /**
   * `auditLog`: where audited saves append their entry (a shared one, so the audit list sees
   * every store's entries as the table does); by default one of its own.
   */
  constructor(
    initial: Intervals = DEFAULT_INTERVALS,
    readonly auditLog: InMemoryAuditLog = new InMemoryAuditLog(),
  ) {
    this.types = Object.fromEntries(
      SYNC_TYPES.map((type) => [
        type,
        { ...defaultTypeSettings(type), intervalMinutes: initial[type] },
      ]),
    ) as Record<SyncType, TypeSettings>;
  }

  /** Takes its snapshot at once, like a SELECT, but answers only when released (if held). */
  async loadSettings(): Promise<SyncSettings> {
    this.check();
    const snapshot = this.snapshot();
    if (this.held) await new Promise<void>((resolve) => this.held?.push(resolve));
    return snapshot;
  }

  async loadIntervals(): Promise<Intervals> {
    return intervalsOf(await this.loadSettings());
  }

  async saveInterval(type: SyncType, minutes: number, audit?: AuditEntry): Promise<SyncSettings> {
    return this.saveTypeSettings(type, { intervalMinutes: minutes }, audit);
  }

  /**
   * Like the real store: only the patch's own fields, undefined ones left out, and an empty
   * patch is no change at all (no version).
   */
  async saveTypeSettings(
    type: SyncType,
    patch: TypeSettingsPatch,
    audit?: AuditEntry,
  ): Promise<SyncSettings> {
    const fields = PATCH_FIELDS.filter((field) => patch[field] !== undefined);
    const defined = Object.fromEntries(fields.map((f) => [f, patch[f]]));
    if (fields.length === 0) return this.loadSettings();
    const view = () => Object.fromEntries(fields.map((f) => [f, this.types[type][f]]));
    return this.write(() => (this.types[type] = { ...this.types[type], ...defined }), {
      entry: audit,
      view,
    });
  }

  /** Keeps a copy, as a database would: the caller's object can change afterwards. */
  async saveWindow(
    type: SyncType,
    window: WorkingWindow | null,
    audit?: AuditEntry,
  ): Promise<SyncSettings> {
    const copy = window && { ...window, days: [...window.days] };
    return this.write(() => (this.types[type] = { ...this.types[type], window: copy }), {
      entry: audit,
      view: () => ({ window: windowValue(this.types[type].window) }),
    });
  }

  async saveEnabled(type: SyncType, enabled: boolean, audit?: AuditEntry): Promise<SyncSettings> {
    return this.write(() => (this.types[type] = { ...this.types[type], enabled }), {
      entry: audit,
      view: () => ({ enabled: this.types[type].enabled }),
    });
  }

  async saveRunning(running: boolean, audit?: AuditEntry): Promise<SyncSettings> {
    return this.write(() => (this.running = running), {
      entry: audit,
      view: () => ({ running: this.running }),
    });
  }

  subscribe(listener: (version?: number) => void): Cancel {
    // A wrapper per subscription, so subscribing the same function twice means two calls.
    const entry = (version?: number): void => listener(version);
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  async ready(): Promise<void> {}

  /** Makes every later call reject with `error` (null heals it), classified as the real store does: an unreachable-looking error (ECONNREFUSED, "connection refused") as `unavailable`, anything else (a TypeError) as the bug it is. */
  failWith(error: Error | null): void {
    this.failure = error;
  }

  /** Makes every later call reject as unreachable (null heals it). */
  failUnreachable(on = true): void {
    this.failure = on ? new Error('connect ECONNREFUSED (in-memory)') : null;
  }

  holdReads(): void {
    this.held ??= [];
  }

  releaseReads(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const release of held) release();
  }

  /** Notifications lost (a reconnect): listeners are told "something may have changed". */
  announceUnknownChange(): void {
    for (const listener of this.listeners) queueMicrotask(() => listener());
  }

  private check(): void {
    if (this.failure) {
      throw asAdapterFailure(this.failure, 'The settings store is unreachable.');
    }
  }

  /** The change and its audit entry together, or neither (a failing audit log fails both). */
  private write(change: () => void, audited: Audited): SyncSettings {
    this.check();
    const { entry, view } = audited;
    if (entry) this.auditLog.check();
    const before = entry && view();
    change();
    if (entry) this.auditLog.append({ ...entry, before: before ?? null, after: view() });
    const version = ++this.version;
    // Like the real feed, listeners run outside the writer's call stack (a listener that
    // reloads the settings must not re-enter a save), yet before the writer's `await` resumes.
    // A throwing listener surfaces as an uncaught error in tests instead of failing the save.
    for (const listener of this.listeners) queueMicrotask(() => listener(version));
    return this.snapshot();
  }

  private snapshot(): SyncSettings {
    return { version: this.version, running: this.running, types: { ...this.types } };
  }
}
