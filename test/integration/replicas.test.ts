import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/adapters/http/auth.js';
import { createTestDatabase, insertAgents, type TestDatabase } from '../support/postgres.js';
import { TEST_REDIS_URL } from '../support/redis.js';
import { Replica } from '../support/replica.js';
import { aPrefix, deletePrefix, eventually, TEST_JWT_SECRET } from '../support/service.js';

const AGENTS = ['a-1', 'a-2', 'a-3', 'a-4', 'a-5'];
const JOBS_PER_CYCLE = 4 * AGENTS.length + 2;

/**
 * Three real service processes on one database and one queue, with a real BullMQ worker
 * completing every job: the scenario the single-process seed got wrong.
 */
describe('three replicas', () => {
  let db: TestDatabase;
  let prefix: string;
  let queue: Queue;
  let worker: Worker;
  let promoter: NodeJS.Timeout;
  let token: string;
  const processed: string[] = [];
  const replicas: Replica[] = [];

  const call = async (replica: Replica, method: string, path: string, body?: unknown) => {
    const response = await fetch(`http://127.0.0.1:${await replica.port()}/api/sync${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const leaderOf = async (): Promise<Replica> =>
    (await eventually(() => replicas.find((r) => r.leads()), 20_000)) as Replica;
  const alive = () => replicas.filter((r) => !r.name.endsWith('(killed)'));

  beforeAll(async () => {
    token = await signToken(TEST_JWT_SECRET);
    db = await createTestDatabase();
    await insertAgents(
      db.pool,
      AGENTS.map((id) => ({ id, username: `user-${id}` })),
    );
    prefix = aPrefix();
    queue = new Queue('operations', { connection: { url: TEST_REDIS_URL }, prefix });
    worker = new Worker(
      'operations',
      async (job) => {
        processed.push(`${job.name}:${String(job.data.userId)}`);
      },
      { connection: { url: TEST_REDIS_URL, maxRetriesPerRequest: null }, prefix, concurrency: 8 },
    );
    // The spread delays agent jobs by up to a minute; a test worker need not wait for them.
    promoter = setInterval(() => void queue.promoteJobs().catch(() => {}), 200);
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      PORT: '0',
      JWT_SECRET: TEST_JWT_SECRET,
      LEADER_POLL_MS: '250',
      // A short lease keeps the suite quick; production's default is 10 s (takeover ≤ ~12 s).
      LEADER_LEASE_MS: '3000',
      SETTINGS_RESYNC_MS: '5000',
    };
    for (const name of ['r1', 'r2', 'r3']) replicas.push(new Replica(name, env));
    await Promise.all(replicas.map((r) => r.port()));
  }, 60_000);

  afterAll(async () => {
    clearInterval(promoter);
    await Promise.all(replicas.map((r) => r.stop()));
    await worker?.close();
    await queue?.close();
    await deletePrefix(prefix);
    await db?.drop();
  }, 60_000);

  it('runs the first cycle exactly once: each (type, agent) processed once, by one leader', async () => {
    await leaderOf();
    await eventually(() => processed.length >= JOBS_PER_CYCLE, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 2000)); // any duplicate would show now
    expect(processed).toHaveLength(JOBS_PER_CYCLE);
    expect(new Set(processed).size).toBe(JOBS_PER_CYCLE);
    expect(replicas.filter((r) => r.leads())).toHaveLength(1);
  }, 40_000);

  it('applies an interval changed through a non-leader on the leader within 2 s', async () => {
    const leader = await leaderOf();
    const follower = alive().find((r) => r !== leader) as Replica;
    const sentAt = Date.now();
    expect((await call(follower, 'POST', '/intervals/orders', { intervalMinutes: 7 })).status).toBe(
      200,
    );
    await eventually(
      async () => (await call(leader, 'GET', '/intervals')).body.intervals?.orders === 7,
      2000,
      25,
    );
    expect(Date.now() - sentAt).toBeLessThan(2000);
  });

  it('hands over within 15 s when the leader dies, without running the cycle again', async () => {
    const leader = await leaderOf();
    const before = processed.length;
    const killedAt = Date.now();
    leader.kill('SIGKILL');
    await leader.exited;
    replicas.splice(replicas.indexOf(leader), 1);
    const next = await eventually(() => replicas.find((r) => r.leads()), 15_000, 50);
    const handoverMs = Date.now() - killedAt;
    // A killed leader cannot free its lease: the others wait for it to expire (≤ lease + poll).
    process.stdout.write(`[replicas] handover after SIGKILL of the leader: ${handoverMs} ms\n`);
    expect(handoverMs).toBeLessThan(15_000);
    expect(next).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    // The new leader continues the recorded phase: nothing is due for minutes yet.
    expect(processed.length).toBe(before);
  }, 30_000);

  it('stops every replica when one is told to stop', async () => {
    const leader = await leaderOf();
    const follower = replicas.find((r) => r !== leader) as Replica;
    expect((await call(follower, 'POST', '/auto-sync/stop')).body).toMatchObject({
      running: false,
    });
    for (const replica of replicas) {
      await eventually(
        async () => (await call(replica, 'GET', '/auto-sync/status')).body.running === false,
        2000,
        25,
      );
    }
    expect((await call(leader, 'POST', '/auto-sync/start')).body).toMatchObject({ running: true });
  });
});
