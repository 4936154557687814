import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, insertAgents, type TestDatabase } from '../support/postgres.js';
import { TEST_REDIS_URL } from '../support/redis.js';
import { Replica } from '../support/replica.js';
import { aPrefix, deletePrefix, eventually, TEST_JWT_SECRET } from '../support/service.js';

const AGENTS = ['a-1', 'a-2', 'a-3', 'a-4', 'a-5'];
const LEASE_MS = 1_200;
const POLL_MS = 300;
/** From the run log's write to the moment orders falls due: time for three replicas to boot. */
const DUE_IN_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A leader frozen (SIGSTOP) just before one of its types falls due, for longer than its lease:
 * a successor takes over and runs that type. When the old leader wakes up (SIGCONT), the timer
 * that fell due while it slept runs before its lease deadline callback; without fencing it
 * enqueued on an expired lease, and once the successor's jobs were done, every agent synced
 * twice. With fencing, it sends nothing and rejoins as a follower.
 */
describe('a leader frozen beyond its lease', () => {
  let db: TestDatabase;
  let prefix: string;
  let queue: Queue;
  let worker: Worker;
  let promoter: NodeJS.Timeout;
  const processed: { name: string; userId: string; jobId: string; at: number }[] = [];
  const replicas: Replica[] = [];
  let dueAt = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    await insertAgents(
      db.pool,
      AGENTS.map((id) => ({ id, username: `user-${id}` })),
    );
    // Nothing is due at boot but orders, which falls due DUE_IN_MS from now (5-minute interval).
    await db.pool.query(
      `update system.sync_settings set interval_minutes = 5 where sync_type = 'orders'`,
    );
    dueAt = Date.now() + DUE_IN_MS;
    await db.pool.query(
      `insert into system.sync_last_runs (sync_type, last_run_at)
       select t, case when t = 'orders' then $1::timestamptz else now() end
       from unnest(array['orders','customers','ddt','invoices','products','prices']) t
       on conflict (sync_type) do update set last_run_at = excluded.last_run_at`,
      [new Date(dueAt - 5 * 60_000)],
    );
    prefix = aPrefix();
    queue = new Queue('operations', { connection: { url: TEST_REDIS_URL }, prefix });
    worker = new Worker(
      'operations',
      async (job) => {
        processed.push({
          name: job.name,
          userId: String(job.data.userId),
          jobId: String(job.id),
          at: Date.now(),
        });
      },
      { connection: { url: TEST_REDIS_URL, maxRetriesPerRequest: null }, prefix, concurrency: 8 },
    );
    // Spread delays would hold agent jobs for up to 30 s: release them at once, so that
    // deduplication cannot hide a second enqueue.
    promoter = setInterval(() => void queue.promoteJobs().catch(() => {}), 50);
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      PORT: '0',
      JWT_SECRET: TEST_JWT_SECRET,
      LEADER_POLL_MS: String(POLL_MS),
      LEADER_LEASE_MS: String(LEASE_MS),
    };
    for (const name of ['r1', 'r2', 'r3']) replicas.push(new Replica(name, env));
    await Promise.all(replicas.map((r) => r.port()));
  }, 60_000);

  afterAll(async () => {
    clearInterval(promoter);
    for (const replica of replicas) replica.kill('SIGCONT');
    await Promise.all(replicas.map((r) => r.stop()));
    await worker?.close();
    await queue?.close();
    await deletePrefix(prefix);
    await db?.drop();
  }, 60_000);

  it('enqueues nothing after its lease passed, and rejoins as a follower', async () => {
    const leader = (await eventually(() => replicas.find((r) => r.leads()), 20_000)) as Replica;
    const waitMs = dueAt - 150 - Date.now();
    expect(waitMs).toBeGreaterThan(0); // the replicas booted in time for the scenario
    await sleep(waitMs);
    leader.kill('SIGSTOP');
    const frozenAt = Date.now();

    const successor = (await eventually(
      () => replicas.find((r) => r !== leader && r.leads()),
      10_000,
      50,
    )) as Replica;
    const ordersDone = () => processed.filter((p) => p.name === 'sync-orders');
    await eventually(() => ordersDone().length >= AGENTS.length, 15_000);
    const frozenForMs = Date.now() - frozenAt;
    leader.kill('SIGCONT');
    await eventually(
      () => leader.logs().some((l) => l.event === 'leadership' && l.isLeader === false),
      10_000,
    );
    await sleep(3_000); // a second enqueue by the old leader would be processed by now

    process.stdout.write(
      `[sigstop] leader frozen ${frozenForMs} ms (lease ${LEASE_MS} ms); successor ${successor.name}; ` +
        `orders processed ${ordersDone().length}; old leader fenced lines ${
          leader.logs().filter((l) => l.event === 'tick_fenced').length
        }\n`,
    );
    expect(
      ordersDone()
        .map((p) => p.userId)
        .sort(),
    ).toEqual(AGENTS);
    expect(leader.leads()).toBe(false);
    expect(replicas.filter((r) => r.leads())).toEqual([successor]);
    expect(leader.lines.join('\n')).not.toMatch(/"level":50|unhandled/);
  }, 90_000);
});
