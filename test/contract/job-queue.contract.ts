import { describe, expect, it } from 'vitest';
import type { JobQueue, SyncJob } from '../../src/domain/ports/job-queue.js';
import type { Lease } from '../../src/domain/ports/leader-election.js';
import type { QueueInspector } from '../../src/domain/ports/queue-inspector.js';
import { SERVICE_ACCOUNT, type SyncType } from '../../src/domain/sync-types.js';

export interface JobQueueFixture {
  readonly queue: JobQueue & QueueInspector;
  /** A worker picks the pending job for (type, userId) up and keeps it running. */
  startJob(type: SyncType, userId: string): Promise<void>;
  /** A worker finishes the pending (or running) job for (type, userId) successfully. */
  completeJob(type: SyncType, userId: string): Promise<void>;
  /** Makes the lease key hold `token` (null: no leader), as a leader election would. */
  setLeaseHolder(token: string | null): Promise<void>;
  cleanup(): Promise<void>;
}

/** A lease for the fence; `isValid` answers from `validity` on each call. */
function aLease(term: number, validity: () => boolean = () => true): Lease {
  return { token: `replica-a:${term}`, term, isValid: validity };
}

const TICK = 1_700_000_000_000;
const aJob = (type: SyncType, userId: string, delayMs?: number): SyncJob =>
  delayMs === undefined
    ? { type, userId, timestamp: TICK }
    : { type, userId, timestamp: TICK, delayMs };
const orders = (...userIds: string[]): SyncJob[] => userIds.map((id) => aJob('orders', id));

const EMPTY = { waiting: 0, active: 0, completed: 0, failed: 0, delayed: 0, prioritized: 0 };

/** What every JobQueue + QueueInspector must do; `makeQueue` hands out an empty queue. */
export function describeJobQueueContract(
  name: string,
  makeQueue: () => Promise<JobQueueFixture>,
): void {
  describe(name, () => {
    const withQueue = async (test: (fixture: JobQueueFixture) => Promise<void>): Promise<void> => {
      const fixture = await makeQueue();
      try {
        await test(fixture);
      } finally {
        await fixture.cleanup();
      }
    };

    describe('enqueue', () => {
      it('adds every job of a batch of distinct keys', () =>
        withQueue(async ({ queue }) => {
          expect(await queue.enqueue(orders('a-1', 'a-2', 'a-3'))).toEqual({
            added: 3,
            deduplicated: 0,
            fenced: 0,
          });
        }));

      it('refuses the same batch again while its jobs are pending', () =>
        withQueue(async ({ queue }) => {
          await queue.enqueue(orders('a-1', 'a-2', 'a-3'));
          expect(await queue.enqueue(orders('a-1', 'a-2', 'a-3'))).toEqual({
            added: 0,
            deduplicated: 3,
            fenced: 0,
          });
        }));

      it('counts both outcomes in a mixed batch', () =>
        withQueue(async ({ queue }) => {
          await queue.enqueue(orders('a-1', 'a-2'));
          expect(await queue.enqueue(orders('a-2', 'a-3', 'a-1', 'a-4'))).toEqual({
            added: 2,
            deduplicated: 2,
            fenced: 0,
          });
        }));

      it('counts a key repeated inside one batch as deduplicated', () =>
        withQueue(async ({ queue }) => {
          expect(await queue.enqueue(orders('a-1', 'a-2', 'a-1', 'a-1'))).toEqual({
            added: 2,
            deduplicated: 2,
            fenced: 0,
          });
          expect((await queue.counts()).prioritized).toBe(2);
        }));

      it('keeps the same agent apart across types', () =>
        withQueue(async ({ queue }) => {
          const batch = [aJob('orders', 'a-1'), aJob('customers', 'a-1'), aJob('ddt', 'a-1')];
          expect(await queue.enqueue(batch)).toEqual({ added: 3, deduplicated: 0, fenced: 0 });
        }));

      it('accepts an empty batch', () =>
        withQueue(async ({ queue }) => {
          expect(await queue.enqueue([])).toEqual({ added: 0, deduplicated: 0, fenced: 0 });
        }));

      it('refuses a key whose job is running', () =>
        withQueue(async ({ queue, startJob }) => {
          await queue.enqueue(orders('a-1'));
          await startJob('orders', 'a-1');
          expect(await queue.enqueue(orders('a-1'))).toEqual({
            added: 0,
            deduplicated: 1,
            fenced: 0,
          });
        }));

      it('refuses a key whose job is delayed', () =>
        withQueue(async ({ queue }) => {
          await queue.enqueue([aJob('invoices', 'a-1', 60_000)]);
          expect(await queue.enqueue([aJob('invoices', 'a-1')])).toEqual({
            added: 0,
            deduplicated: 1,
            fenced: 0,
          });
        }));

      it('accepts the key again once its job has completed', () =>
        withQueue(async ({ queue, completeJob }) => {
          await queue.enqueue(orders('a-1', 'a-2'));
          await completeJob('orders', 'a-1');
          expect(await queue.enqueue(orders('a-1', 'a-2'))).toEqual({
            added: 1,
            deduplicated: 1,
            fenced: 0,
          });
        }));

      it('deduplicates the shared service-account job like any other', () =>
        withQueue(async ({ queue, completeJob }) => {
          const shared = [aJob('products', SERVICE_ACCOUNT)];
          expect(await queue.enqueue(shared)).toEqual({ added: 1, deduplicated: 0, fenced: 0 });
          expect(await queue.enqueue(shared)).toEqual({ added: 0, deduplicated: 1, fenced: 0 });
          await completeJob('products', SERVICE_ACCOUNT);
          expect(await queue.enqueue(shared)).toEqual({ added: 1, deduplicated: 0, fenced: 0 });
        }));
    });

    describe('enqueue with a fence', () => {
      it('adds while the lease is valid and its key holds the token', () =>
        withQueue(async ({ queue, setLeaseHolder }) => {
          const lease = aLease(7);
          await setLeaseHolder(lease.token);
          expect(await queue.enqueue(orders('a-1', 'a-2'), lease)).toEqual({
            added: 2,
            deduplicated: 0,
            fenced: 0,
          });
          expect(await queue.enqueue(orders('a-1', 'a-3'), lease)).toEqual({
            added: 1,
            deduplicated: 1,
            fenced: 0,
          });
        }));

      it('sends nothing once the lease is no longer valid', () =>
        withQueue(async ({ queue, setLeaseHolder }) => {
          const lease = aLease(7, () => false);
          await setLeaseHolder(lease.token);
          expect(await queue.enqueue(orders('a-1', 'a-2', 'a-3'), lease)).toEqual({
            added: 0,
            deduplicated: 0,
            fenced: 3,
          });
          expect(await queue.counts()).toEqual(EMPTY);
        }));

      it('sends nothing while the lease key holds another token, or none', () =>
        withQueue(async ({ queue, setLeaseHolder }) => {
          for (const holder of ['other:9', 'replica-a:6', null]) {
            await setLeaseHolder(holder);
            expect(await queue.enqueue(orders('a-1', 'a-2'), aLease(7))).toEqual({
              added: 0,
              deduplicated: 0,
              fenced: 2,
            });
          }
          expect(await queue.counts()).toEqual(EMPTY);
        }));

      it('stores the chunk sent before the lease passed, and sends nothing after it', () =>
        withQueue(async ({ queue, setLeaseHolder }) => {
          let checks = 0;
          const lease = aLease(7, () => ++checks === 1);
          await setLeaseHolder(lease.token);
          const batch = Array.from({ length: 2_500 }, (_, i) => aJob('orders', `agent-${i}`));
          expect(await queue.enqueue(batch, lease)).toEqual({
            added: 1_000,
            deduplicated: 0,
            fenced: 1_500,
          });
          expect(checks).toBe(2);
          expect((await queue.counts()).prioritized).toBe(1_000);
        }));

      it('fences nothing without a fence, whoever holds the lease key', () =>
        withQueue(async ({ queue, setLeaseHolder }) => {
          await setLeaseHolder('other:9');
          expect(await queue.enqueue(orders('a-1'))).toEqual({
            added: 1,
            deduplicated: 0,
            fenced: 0,
          });
        }));
    });

    describe('counts', () => {
      it('is all zeros for an empty queue', () =>
        withQueue(async ({ queue }) => {
          expect(await queue.counts()).toEqual(EMPTY);
        }));

      // Every sync type has a priority, so BullMQ keeps ready jobs in `prioritized`, not `waiting`.
      it('reports ready jobs as prioritized and jobs with a delay as delayed', () =>
        withQueue(async ({ queue }) => {
          await queue.enqueue([...orders('a-1', 'a-2'), aJob('ddt', 'a-1', 60_000)]);
          expect(await queue.counts()).toEqual({ ...EMPTY, prioritized: 2, delayed: 1 });
        }));

      it('moves a started job to active and a finished one to completed', () =>
        withQueue(async ({ queue, startJob, completeJob }) => {
          await queue.enqueue(orders('a-1', 'a-2', 'a-3'));
          await startJob('orders', 'a-1');
          await completeJob('orders', 'a-2');
          expect(await queue.counts()).toEqual({
            ...EMPTY,
            active: 1,
            completed: 1,
            prioritized: 1,
          });
        }));
    });

    describe('activeJobs', () => {
      it('is empty while nothing runs', () =>
        withQueue(async ({ queue }) => {
          await queue.enqueue(orders('a-1'));
          expect(await queue.activeJobs(10)).toEqual([]);
        }));

      it('names the type and agent of each running job', () =>
        withQueue(async ({ queue, startJob }) => {
          await queue.enqueue([aJob('customers', 'a-1'), aJob('prices', SERVICE_ACCOUNT)]);
          await startJob('prices', SERVICE_ACCOUNT);
          const active = await queue.activeJobs(10);
          expect(active).toEqual([
            { jobId: expect.any(String), type: 'prices', userId: SERVICE_ACCOUNT },
          ]);
        }));

      it('returns at most `limit` jobs', () =>
        withQueue(async ({ queue, startJob }) => {
          await queue.enqueue(orders('a-1', 'a-2', 'a-3'));
          for (const id of ['a-1', 'a-2', 'a-3']) await startJob('orders', id);
          expect(await queue.activeJobs(2)).toHaveLength(2);
        }));
    });
  });
}
