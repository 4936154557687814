import { describe, expect, it } from 'vitest';
import { isSchedulerError } from '../../src/domain/errors.js';
import type { AgentStateStore } from '../../src/domain/ports/agent-state-store.js';
import type {
  AuditChange,
  AuditEntry,
  AuditLog,
  AuditRecord,
} from '../../src/domain/ports/audit-log.js';
import type { SettingsStore } from '../../src/domain/ports/settings-store.js';

/**
 * The trail and the stores that write to it in their own transaction: all three share one
 * trail (one table in PostgreSQL, one InMemoryAuditLog in memory).
 */
export interface AuditLogFixture {
  readonly log: AuditLog;
  readonly settings: SettingsStore;
  readonly agentState: AgentStateStore;
  /** Makes every later audit write fail as a constraint would (not as "unreachable"). */
  breakAuditWrites(): Promise<void>;
  cleanup(): Promise<void>;
}

const BY_ALICE = { actor: 'alice', role: 'admin', requestId: 'req-1' } as const;
const entry = (action: AuditEntry['action'], target: string | null): AuditEntry => ({
  ...BY_ALICE,
  action,
  target,
});
const change = (overrides: Partial<AuditChange> = {}): AuditChange => ({
  ...entry('trigger', 'orders'),
  before: null,
  after: { userId: null, enqueued: 2, deduplicated: 0 },
  ...overrides,
});

/** What a record says, without the id and time the trail gives it. */
const content = ({ id: _id, at: _at, ...rest }: AuditRecord) => rest;

const failure = (at: number) => ({
  type: 'orders' as const,
  userId: 'a-1',
  success: false,
  at,
  reason: 'ERP refused the login',
});

/** What every AuditLog (and every store writing to it) must do; each fixture starts empty. */
export function describeAuditLogContract(
  name: string,
  makeFixture: () => Promise<AuditLogFixture>,
): void {
  describe(name, () => {
    const withFixture = async (test: (f: AuditLogFixture) => Promise<void>): Promise<void> => {
      const fixture = await makeFixture();
      try {
        await test(fixture);
      } finally {
        await fixture.cleanup();
      }
    };
    const all = async (log: AuditLog) => (await log.list({ limit: 500 })).items.map(content);

    describe('record and list', () => {
      it('lists nothing when nothing was recorded', () =>
        withFixture(async ({ log }) => {
          expect(await log.list({ limit: 50 })).toEqual({ items: [], nextCursor: null });
        }));

      it('keeps every field of a change, and gives it an id and a time', () =>
        withFixture(async ({ log }) => {
          const before = Date.now();
          await log.record(change({ actor: null, requestId: null }));
          const [record] = (await log.list({ limit: 1 })).items;
          expect(content(record as AuditRecord)).toEqual(change({ actor: null, requestId: null }));
          expect(record?.id).toEqual(expect.any(Number));
          // The database's clock: within a generous second of this process's.
          expect(record?.at).toBeGreaterThanOrEqual(before - 1_000);
          expect(record?.at).toBeLessThanOrEqual(Date.now() + 1_000);
        }));

      it('lists newest first', () =>
        withFixture(async ({ log }) => {
          for (const target of ['orders', 'ddt', 'prices']) await log.record(change({ target }));
          expect((await all(log)).map((r) => r.target)).toEqual(['prices', 'ddt', 'orders']);
        }));
    });

    describe('pages', () => {
      it('walks every record once, in order, with the cursor of each page', () =>
        withFixture(async ({ log }) => {
          for (let i = 0; i < 7; i++) await log.record(change({ target: `t-${i}` }));
          const seen: string[] = [];
          const sizes: number[] = [];
          let cursor: string | undefined;
          for (let page = 0; page < 5; page++) {
            const result = await log.list({ limit: 3, ...(cursor && { cursor }) });
            seen.push(...result.items.map((r) => r.target ?? ''));
            sizes.push(result.items.length);
            if (result.nextCursor === null) break;
            cursor = result.nextCursor;
          }
          expect(sizes).toEqual([3, 3, 1]);
          expect(seen).toEqual(['t-6', 't-5', 't-4', 't-3', 't-2', 't-1', 't-0']);
        }));

      it('hands out no cursor when the page holds the last record exactly', () =>
        withFixture(async ({ log }) => {
          for (let i = 0; i < 2; i++) await log.record(change());
          expect((await log.list({ limit: 2 })).nextCursor).toBeNull();
        }));

      it('refuses a cursor it did not hand out as invalid input', () =>
        withFixture(async ({ log }) => {
          for (const cursor of ['nope', Buffer.from('[1,"x"]').toString('base64url')]) {
            const error = await log.list({ limit: 5, cursor }).catch((e: unknown) => e);
            expect(isSchedulerError(error) && error.kind).toBe('invalidInput');
          }
        }));
    });

    describe('filters', () => {
      const arrange = async (log: AuditLog) => {
        await log.record(change({ actor: 'alice', action: 'trigger', target: '1' }));
        await log.record(change({ actor: 'bob', action: 'sync.pause', target: '2' }));
        await log.record(change({ actor: 'alice', action: 'sync.pause', target: '3' }));
        await log.record(change({ actor: null, action: 'trigger', target: '4' }));
        await log.record(change({ actor: 'alice', action: 'trigger', target: '5' }));
      };
      const targets = async (log: AuditLog, query: { actor?: string; action?: 'trigger' }) =>
        (await log.list({ limit: 50, ...query })).items.map((r) => r.target);

      it('by actor, by action, and by both', () =>
        withFixture(async ({ log }) => {
          await arrange(log);
          expect(await targets(log, { actor: 'alice' })).toEqual(['5', '3', '1']);
          expect(await targets(log, { action: 'trigger' })).toEqual(['5', '4', '1']);
          expect(await targets(log, { actor: 'alice', action: 'trigger' })).toEqual(['5', '1']);
          expect(await targets(log, { actor: 'carol' })).toEqual([]);
        }));

      it('pages within a filter', () =>
        withFixture(async ({ log }) => {
          await arrange(log);
          const first = await log.list({ limit: 2, actor: 'alice' });
          expect(first.items.map((r) => r.target)).toEqual(['5', '3']);
          const second = await log.list({
            limit: 2,
            actor: 'alice',
            cursor: first.nextCursor ?? '',
          });
          expect(second.items.map((r) => r.target)).toEqual(['1']);
          expect(second.nextCursor).toBeNull();
        }));
    });

    describe('settings changes, in their own transaction', () => {
      it('records the patched fields of a type, before and after', () =>
        withFixture(async ({ log, settings }) => {
          await settings.saveTypeSettings(
            'orders',
            { intervalMinutes: 25, offlineMultiplier: 2 },
            entry('settings.update', 'orders'),
          );
          await settings.saveInterval('ddt', 45, entry('settings.update', 'ddt'));
          expect(await all(log)).toEqual([
            {
              ...entry('settings.update', 'ddt'),
              before: { intervalMinutes: 20 },
              after: { intervalMinutes: 45 },
            },
            {
              ...entry('settings.update', 'orders'),
              before: { intervalMinutes: 10, offlineMultiplier: 0 },
              after: { intervalMinutes: 25, offlineMultiplier: 2 },
            },
          ]);
        }));

      it('records a window set, then cleared', () =>
        withFixture(async ({ log, settings }) => {
          const window = { from: '07:00', to: '20:00', days: [1, 2, 3], timeZone: 'UTC' };
          await settings.saveWindow('prices', window, entry('window.set', 'prices'));
          await settings.saveWindow('prices', null, entry('window.clear', 'prices'));
          expect(await all(log)).toEqual([
            { ...entry('window.clear', 'prices'), before: { window }, after: { window: null } },
            { ...entry('window.set', 'prices'), before: { window: null }, after: { window } },
          ]);
        }));

      it('records pause and resume, stop and start', () =>
        withFixture(async ({ log, settings }) => {
          await settings.saveEnabled('invoices', false, entry('sync.pause', 'invoices'));
          await settings.saveEnabled('invoices', true, entry('sync.resume', 'invoices'));
          await settings.saveRunning(false, entry('auto-sync.stop', null));
          await settings.saveRunning(true, entry('auto-sync.start', null));
          expect(
            (await all(log)).map(({ action, before, after }) => [action, before, after]),
          ).toEqual([
            ['auto-sync.start', { running: false }, { running: true }],
            ['auto-sync.stop', { running: true }, { running: false }],
            ['sync.resume', { enabled: false }, { enabled: true }],
            ['sync.pause', { enabled: true }, { enabled: false }],
          ]);
        }));

      it('records an idempotent change too: it was accepted', () =>
        withFixture(async ({ log, settings }) => {
          await settings.saveRunning(true, entry('auto-sync.start', null));
          expect(await all(log)).toEqual([
            {
              ...entry('auto-sync.start', null),
              before: { running: true },
              after: { running: true },
            },
          ]);
        }));

      it("keeps an actor's quotes and backslashes as they were (escaped, never run)", () =>
        withFixture(async ({ log, settings }) => {
          const actor = "o'brien\\'); drop table system.audit_log; --";
          const odd = { ...entry('sync.pause', 'orders'), actor, requestId: "r'1" };
          await settings.saveEnabled('orders', false, odd);
          expect(await all(log)).toEqual([
            { ...odd, before: { enabled: true }, after: { enabled: false } },
          ]);
        }));

      it('records nothing for a save without an entry', () =>
        withFixture(async ({ log, settings }) => {
          await settings.saveEnabled('orders', false);
          await settings.saveRunning(false);
          expect(await all(log)).toEqual([]);
        }));

      it('makes no change when its audit row cannot be written', () =>
        withFixture(async (fixture) => {
          const { settings, breakAuditWrites } = fixture;
          const before = await settings.loadSettings();
          await breakAuditWrites();
          await expect(
            settings.saveEnabled('orders', false, entry('sync.pause', 'orders')),
          ).rejects.toThrow();
          await expect(
            settings.saveTypeSettings(
              'orders',
              { intervalMinutes: 30 },
              entry('settings.update', 'orders'),
            ),
          ).rejects.toThrow();
          await expect(
            settings.saveRunning(false, entry('auto-sync.stop', null)),
          ).rejects.toThrow();
          expect(await settings.loadSettings()).toEqual(before);
        }));
    });

    describe('agent reset, in its own transaction', () => {
      it("records the rows it closed, before and after, under the agent's id", () =>
        withFixture(async ({ log, agentState }) => {
          await agentState.recordOutcomes([failure(1_000), failure(2_000), failure(3_000)], 3_000);
          expect(await agentState.reset('a-1', entry('agent.reset', 'a-1'))).toBe(1);
          expect(await all(log)).toEqual([
            {
              ...entry('agent.reset', 'a-1'),
              before: { orders: { breaker: 'open', consecutiveFailures: 3, recentFailures: 3 } },
              after: { orders: { breaker: 'closed', consecutiveFailures: 0, recentFailures: 0 } },
            },
          ]);
        }));

      it('records a reset of a clean agent with nothing changed, and none of an unknown one', () =>
        withFixture(async ({ log, agentState }) => {
          await agentState.recordEnqueued('orders', ['a-1'], 1_000);
          expect(await agentState.reset('a-1', entry('agent.reset', 'a-1'))).toBe(0);
          expect(await agentState.reset('nobody', entry('agent.reset', 'nobody'))).toBe(0);
          expect(await all(log)).toEqual([
            { ...entry('agent.reset', 'a-1'), before: {}, after: {} },
          ]);
        }));

      it('resets nothing when its audit row cannot be written', () =>
        withFixture(async ({ agentState, breakAuditWrites }) => {
          await agentState.recordOutcomes([failure(1_000), failure(2_000), failure(3_000)], 3_000);
          await breakAuditWrites();
          await expect(agentState.reset('a-1', entry('agent.reset', 'a-1'))).rejects.toThrow();
          const [pair] = await agentState.agent('a-1');
          expect(pair).toMatchObject({ breaker: 'open', consecutiveFailures: 3 });
        }));
    });
  });
}
