import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import { inject, injectable, optional } from 'inversify';
import pLimit from 'p-limit';
import type { EnqueueResult, JobQueue, SyncJob } from '../../domain/ports/job-queue.js';
import type { Lease } from '../../domain/ports/leader-election.js';
import type { ActiveJob, QueueCounts, QueueInspector } from '../../domain/ports/queue-inspector.js';
import { dedupKey } from '../../domain/sync-jobs.js';
import { toActiveJob, toBulkJob } from './bullmq-job.js';
import { addBulkFenced, FENCED } from './fenced-add.js';
import { heldDedupKeys, type ReadFence } from './held-dedup-keys.js';
import { encodeJobId } from './job-id.js';
import { BULLMQ_QUEUE, FENCED_CHUNK_LISTENER, LEASE_KEY } from './tokens.js';
import { unreachableAs } from '../unreachable.js';

const UNREACHABLE_ENQUEUE = 'The jobs could not be enqueued: the queue is unreachable.';
const UNREACHABLE_READ = 'The queue could not be read: Redis is unreachable.';

/**
 * Jobs per `addBulk` (one Redis pipeline). 40,000 jobs against the local Redis 7.0, three
 * interleaved runs each: 250 → 1.63-1.89 s, 500 → 1.50-1.66 s, 1,000 → 1.51-1.67 s,
 * 2,000 → 1.73-1.83 s, 5,000 → 1.63-1.94 s, all 40,000 in one call → 1.75-2.13 s. 500-1,000 is
 * the sweet spot; 1,000 keeps each pipeline around 40 ms, far below the 5 s command timeout, and
 * bounds the memory of one round trip.
 */
export const ENQUEUE_CHUNK_SIZE = 1_000;

/**
 * Adds per Redis pipeline, and pipelines in flight per BullMqJobQueue (all its enqueue calls
 * together). Measured with `npm run bench -- scale` (one tick of 400,002 jobs, BENCHMARKS.md
 * §8): one pipeline of 1,000 per chunk and type, every type at once, let 6,000 adds wait on
 * Redis together; they outlived the young generation, so the heap grew by ~480 MB and the
 * collections that freed it stalled a 100 ms timer by ~0.5 s (p99). Of the sizes tried
 * (100 x 3, 200 x 6, 250 x 3, 500 x 2), 500 x 2 kept Redis as busy as direct addBulk (wall
 * time and Redis CPU per job at or under it) with the lateness p99 under 50 ms; 100 x 3 left
 * Redis idle between round trips (1.5 x the wall time, 1.15 x its CPU per job), 200 x 6 let
 * the timer's p99 pass 100 ms again.
 */
export const PIPELINE_SIZE = 500;
export const PIPELINES_IN_FLIGHT = 2;

/** A chunk the fence refused, and what that cost. */
export interface FencedChunk {
  /** The refused lease. */
  readonly token: string;
  readonly term: number;
  /** Why: the lease's local deadline passed, or the lease key no longer holds its token. */
  readonly reason: 'lease-expired' | 'lease-key-changed';
  /** Jobs of this call not sent (or refused by Redis) from this chunk on. */
  readonly fenced: number;
}

export type FencedChunkListener = (info: FencedChunk) => void;

@injectable()
export class BullMqJobQueue implements JobQueue, QueueInspector {
  /** 64 random bits per instance, the `producer` of every job id: log it at boot. */
  readonly producer = randomBytes(8).toString('base64url');
  private sent = 0;
  private readonly pipelines = pLimit(PIPELINES_IN_FLIGHT);

  /**
   * `leaseKey`: the key the leader election holds its lease in; without it a fenced enqueue
   * rejects (a fence that cannot be checked in Redis is no fence). `onFenced`: told about each
   * refused chunk (at most one per call).
   */
  constructor(
    @inject(BULLMQ_QUEUE) private readonly queue: Queue,
    @inject(LEASE_KEY) @optional() private readonly leaseKey?: string,
    @inject(FENCED_CHUNK_LISTENER) @optional() private readonly onFenced?: FencedChunkListener,
  ) {}

  /**
   * How a deduplicated job is told apart: every job is sent with a never-used `jobId`. BullMQ's
   * add scripts (addPrioritizedJob/addDelayedJob → deduplicateJob, simple mode) either store the
   * job and return that id, or, when `de:<deduplication id>` already names a job, store nothing
   * and return the id of the job holding the key. So a returned id equal to the one we sent
   * means added; anything else means deduplicated. The scripts run one at a time in pipeline
   * order, so the second of two same-key jobs in one batch gets the first one's id back, and a
   * concurrent producer can only make us see its id. Auto-generated ids cannot be told apart this
   * way: an existing job's id looks like any other counter value. Our ids (job-id.ts) carry this
   * instance's 64-bit random `producer`, the fencing term and a counter, so they are unique.
   *
   * Before a chunk of ENQUEUE_CHUNK_SIZE is sent, one read asks which of its keys are held
   * right now (heldDedupKeys: an MGET, then the test BullMQ's add scripts make, only if a key
   * is set); those jobs are not sent and count as deduplicated, so a tick whose jobs are all
   * still pending costs one cheap read per chunk instead of one add script per job. The next
   * chunk's check is sent while this chunk is being added, so a fresh tick pays one extra round
   * trip in all (the first check). Check and add are not atomic: a key released in between (its
   * job just finished) means that job waits for the next tick, as if this tick had come a moment
   * earlier. A key that is not held is always sent, and BullMQ still decides.
   *
   * With a fence, three checks guard each chunk: `fence.isValid()` (the local deadline) just
   * before its read; the held-key read answers "fenced" unless the lease key holds the token (so
   * a lost lease costs one read, no adds); and each add script itself checks the lease key in the
   * same atomic step as the add (fenced-add.ts), which closes the window between read and add.
   * The first refusal ends the call: nothing after it is sent, nothing is retried (a pipeline
   * already on its way when another is refused is refused by the lease key too: a token never
   * comes back).
   *
   * The chunk's jobs to send go in pipelines of PIPELINE_SIZE, at most PIPELINES_IN_FLIGHT per
   * instance whatever the number of calls, each built in its own turn of the event loop, so
   * timers and requests get in between. Chunks go one after another. If a pipeline fails the
   * call rejects once its chunk's others settled (those not started send nothing), and earlier
   * jobs stay queued (harmless: the next tick deduplicates them).
   */
  enqueue(jobs: readonly SyncJob[], fence?: Lease): Promise<EnqueueResult> {
    return unreachableAs(UNREACHABLE_ENQUEUE, () => this.send(jobs, fence));
  }

  private async send(jobs: readonly SyncJob[], fence?: Lease): Promise<EnqueueResult> {
    const readFence = fence ? { leaseKey: this.requireLeaseKey(), token: fence.token } : undefined;
    const chunks: (readonly SyncJob[])[] = [];
    for (let start = 0; start < jobs.length; start += ENQUEUE_CHUNK_SIZE) {
      chunks.push(jobs.slice(start, start + ENQUEUE_CHUNK_SIZE));
    }
    let added = 0;
    let deduplicated = 0;
    let refusal: FencedChunk['reason'] | undefined;
    let broken = false;
    // Everything not added and not deduplicated when the fence refused counts as fenced.
    const refuse = (reason: FencedChunk['reason']): EnqueueResult => {
      const fenced = jobs.length - added - deduplicated;
      this.onFenced?.({ token: fence!.token, term: fence!.term, reason, fenced });
      return { added, deduplicated, fenced };
    };
    // One pipeline of up to PIPELINE_SIZE adds, in its own turn of the event loop, once a slot
    // of this instance's PIPELINES_IN_FLIGHT is free. After a refusal nothing more is sent.
    const sendPipeline = (part: readonly SyncJob[]) =>
      this.pipelines(async () => {
        await new Promise((resolve) => setImmediate(resolve));
        if (refusal || broken) return;
        const bulk = part.map((job) => toBulkJob(job, this.nextJobId(job, fence)));
        let ids: readonly (string | undefined)[];
        try {
          ids = readFence
            ? await addBulkFenced(this.queue, bulk, readFence.leaseKey, readFence.token)
            : (await this.queue.addBulk(bulk)).map((job) => job.id);
        } catch (error) {
          broken = true;
          throw error;
        }
        let refused = 0;
        ids.forEach((id, j) => {
          if (id === FENCED) refused++;
          else if (id === bulk[j]?.opts.jobId) added++;
          else deduplicated++;
        });
        if (refused > 0) refusal ??= 'lease-key-changed';
      });
    // Each chunk's read goes out while the chunk before it is added. One nobody awaits (a
    // refusal or failure came first) must not surface as an unhandled rejection.
    const readHeld = (chunk: readonly SyncJob[] | undefined) => {
      if (!chunk) return undefined;
      const read = this.heldKeys(chunk, readFence);
      read.catch(() => {});
      return read;
    };
    let nextHeld = readHeld(chunks[0]);
    for (let i = 0; i < chunks.length && !refusal; i++) {
      const chunk = chunks[i] as readonly SyncJob[];
      if (fence && !fence.isValid()) {
        refusal = 'lease-expired';
        break;
      }
      const held = await (nextHeld as Promise<boolean[] | typeof FENCED>);
      if (held === FENCED) {
        refusal = 'lease-key-changed';
        break;
      }
      nextHeld = readHeld(chunks[i + 1]);
      const toSend = chunk.filter((_, j) => !held[j]);
      deduplicated += chunk.length - toSend.length;
      const parts: Promise<void>[] = [];
      for (let start = 0; start < toSend.length; start += PIPELINE_SIZE) {
        parts.push(sendPipeline(toSend.slice(start, start + PIPELINE_SIZE)));
      }
      // Every part settles before the call does, so none is left running behind a rejection;
      // after a failure the ones not started yet send nothing.
      const settled = await Promise.allSettled(parts);
      const failed = settled.find((result) => result.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    }
    if (refusal) return refuse(refusal);
    return { added, deduplicated, fenced: 0 };
  }

  private requireLeaseKey(): string {
    if (this.leaseKey === undefined) {
      throw new Error('BullMqJobQueue: a fenced enqueue needs the lease key (LEASE_KEY)');
    }
    return this.leaseKey;
  }

  private nextJobId(job: SyncJob, fence: Lease | undefined): string {
    return encodeJobId({
      producer: this.producer,
      term: fence ? fence.term : null,
      seq: ++this.sent,
      type: job.type,
      userId: job.userId,
    });
  }

  /**
   * Per job, whether its deduplication key is held by a pending job, or FENCED (a seam for the
   * bench and tests).
   */
  protected heldKeys(
    chunk: readonly SyncJob[],
    fence?: ReadFence,
  ): Promise<boolean[] | typeof FENCED> {
    return heldDedupKeys(
      this.queue,
      chunk.map((job) => dedupKey(job.type, job.userId)),
      fence,
    );
  }

  counts(): Promise<QueueCounts> {
    return unreachableAs(UNREACHABLE_READ, () => this.readCounts());
  }

  private async readCounts(): Promise<QueueCounts> {
    const counts = await this.queue.getJobCounts(
      'waiting',
      'active',
      'completed',
      'failed',
      'delayed',
      'prioritized',
    );
    return {
      waiting: counts.waiting ?? 0,
      active: counts.active ?? 0,
      completed: counts.completed ?? 0,
      failed: counts.failed ?? 0,
      delayed: counts.delayed ?? 0,
      prioritized: counts.prioritized ?? 0,
    };
  }

  activeJobs(limit: number): Promise<readonly ActiveJob[]> {
    return unreachableAs(UNREACHABLE_READ, async () => {
      if (limit <= 0) return [];
      const jobs = await this.queue.getActive(0, limit - 1);
      return jobs.map(toActiveJob).filter((job): job is ActiveJob => job !== null);
    });
  }
}
