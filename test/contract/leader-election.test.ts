import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { InMemoryLeaderElection } from '../../src/adapters/memory/in-memory-leader-election.js';
import {
  RedisLeaderElection,
  type RedisLeaderElectionOptions,
} from '../../src/adapters/queue/redis-leader-election.js';
import { deleteKeys, TEST_REDIS_URL } from '../support/redis.js';
import { startTcpProxy, throughProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { describeLeaderElectionContract } from './leader-election.contract.js';

const POLL_MS = 200;
const LEASE_MS = 1_000;
/** max(pollMs, leaseMs / 4): how long before the key can expire a cut-off leader has stopped. */
const MARGIN_MS = Math.max(POLL_MS, LEASE_MS / 4);

describeLeaderElectionContract('InMemoryLeaderElection', async () => ({
  election: new InMemoryLeaderElection(),
  cleanup: async () => {},
}));

describe('InMemoryLeaderElection.setLeader', () => {
  it('plays a lost and a won election through onChange', () => {
    const election = new InMemoryLeaderElection(false);
    const changes: boolean[] = [];
    election.start((isLeader) => changes.push(isLeader));

    election.setLeader(true);
    election.setLeader(true);
    election.setLeader(false);

    expect(changes).toEqual([true, false]);
    expect(election.isLeader()).toBe(false);
  });
});

/** Every key of this file lives under this prefix; removed afterwards (never FLUSH: shared). */
const PREFIX = `test-leader-${process.pid}-${randomBytes(4).toString('hex')}`;
let redis: Redis;
const started: RedisLeaderElection[] = [];
const proxies: TcpProxy[] = [];

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((election) => election.stop()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
});

afterAll(async () => {
  await deleteKeys(redis, PREFIX);
  redis.disconnect();
});

/** A key of each test's own, so electors of different tests never compete. */
const aKey = (): string => `${PREFIX}:${randomBytes(6).toString('hex')}:leader`;

function anElection(options: Partial<RedisLeaderElectionOptions> = {}): RedisLeaderElection {
  const election = new RedisLeaderElection({
    redisUrl: TEST_REDIS_URL,
    key: aKey(),
    pollMs: POLL_MS,
    leaseMs: LEASE_MS,
    ...options,
  });
  started.push(election);
  return election;
}

describeLeaderElectionContract('RedisLeaderElection', async () => ({
  election: anElection(),
  cleanup: async () => {},
}));

/** When a change was reported, by whom, on one timeline. */
interface Change {
  readonly name: string;
  readonly isLeader: boolean;
  readonly at: number;
}

/** Electors sharing one key, each recording its changes in one list. */
function aContest(
  names: string[],
  options: (name: string) => Partial<RedisLeaderElectionOptions> = () => ({}),
) {
  const key = aKey();
  const changes: Change[] = [];
  const electors = names.map((name) => {
    const election = anElection({ key, replicaId: name, ...options(name) });
    election.start((isLeader) => changes.push({ name, isLeader, at: performance.now() }));
    return election;
  });
  const log = () => changes.map((c) => `${c.name}:${c.isLeader}`);
  const leaders = () => electors.filter((election) => election.isLeader());
  const leader = async (): Promise<RedisLeaderElection> => {
    await vi.waitFor(() => expect(leaders()).toHaveLength(1), { timeout: 5_000, interval: 20 });
    return leaders()[0]!;
  };
  return { key, changes, log, electors, leaders, leader };
}

async function timeUntil(condition: () => boolean, timeoutMs: number): Promise<number> {
  const startedAt = performance.now();
  await vi.waitFor(() => expect(condition()).toBe(true), { timeout: timeoutMs, interval: 5 });
  return performance.now() - startedAt;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Figures a human reads in the test output (takeover times). */
const figure = (name: string, value: unknown) =>
  process.stdout.write(`[leader-election] ${name}: ${JSON.stringify(value)}\n`);

describe('RedisLeaderElection among replicas', () => {
  it('elects exactly one of three electors on the same key, and keeps it', async () => {
    const contest = aContest(['a', 'b', 'c']);
    const leader = await contest.leader();

    // Several leases long: the leader renews, nobody else ever leads.
    await sleep(3 * LEASE_MS);

    expect(contest.leaders()).toEqual([leader]);
    expect(contest.log()).toEqual([`${leader.replicaId}:true`]);
    expect(await redis.pttl(contest.key)).toBeGreaterThan(LEASE_MS - 3 * POLL_MS);
  });

  it('lets electors on different keys lead side by side', async () => {
    const a = anElection();
    const b = anElection();
    a.start(() => {});
    b.start(() => {});

    await vi.waitFor(() => expect([a.isLeader(), b.isLeader()]).toEqual([true, true]));
  });

  it('hands over when the leader stops: the key is freed, another leads within a few polls', async () => {
    const contest = aContest(['a', 'b']);
    const leader = await contest.leader();
    const follower = contest.electors.find((election) => election !== leader)!;

    const stopped = leader.stop();
    const ms = await timeUntil(() => follower.isLeader(), 5 * POLL_MS);
    await stopped;

    figure('handover after stop (ms)', Math.round(ms));
    expect(ms).toBeLessThan(2 * POLL_MS + 100);
    expect(contest.log()).toEqual([
      `${leader.replicaId}:true`,
      `${leader.replicaId}:false`,
      `${follower.replicaId}:true`,
    ]);
  });

  it('frees the key on stop, and leaves a key it does not hold alone', async () => {
    const { key, leader } = aContest(['a']);
    await (await leader()).stop();
    expect(await redis.exists(key)).toBe(0);

    const other = anElection({ key, replicaId: 'a-lookalike' });
    await redis.set(key, 'someone-else:99', 'PX', 5_000);
    other.start(() => {});
    await sleep(2 * POLL_MS);
    await other.stop();
    expect(await redis.get(key)).toBe('someone-else:99');
  });

  it('steps down by its deadline when cut off from Redis; the other leads only after that', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
    proxies.push(proxy);
    const behindProxy = throughProxy(TEST_REDIS_URL, proxy);
    const key = aKey();
    const changes: Change[] = [];
    const record = (name: string) => (isLeader: boolean) =>
      changes.push({ name, isLeader, at: performance.now() });
    const cutOff = anElection({ key, replicaId: 'cut-off', redisUrl: behindProxy });
    cutOff.start(record('cut-off'));
    await vi.waitFor(() => expect(cutOff.isLeader()).toBe(true), { timeout: 5_000 });
    const direct = anElection({ key, replicaId: 'direct' });
    direct.start(record('direct'));
    await sleep(2 * POLL_MS);
    expect(direct.isLeader()).toBe(false);

    // A partition: nothing is closed, renewals just never get an answer.
    proxy.blackhole();
    const cutAt = performance.now();
    await vi.waitFor(() => expect(direct.isLeader()).toBe(true), { timeout: 3 * LEASE_MS });

    const lost = changes.find((c) => c.name === 'cut-off' && !c.isLeader)!;
    const gained = changes.find((c) => c.name === 'direct' && c.isLeader)!;
    const lostAfterMs = Math.round(lost.at - cutAt);
    const gainedAfterMs = Math.round(gained.at - cutAt);
    figure('cut-off leader', { lostAfterMs, gainedAfterMs, gapMs: gainedAfterMs - lostAfterMs });
    expect(changes.map((c) => `${c.name}:${c.isLeader}`)).toEqual([
      'cut-off:true',
      'cut-off:false',
      'direct:true',
    ]);
    // It stopped by its deadline: the last renewal sent before the cut + lease - margin.
    expect(lostAfterMs).toBeLessThanOrEqual(LEASE_MS - MARGIN_MS + 50);
    // Nobody could take over before the key expired: at least the margin later.
    expect(gained.at - lost.at).toBeGreaterThanOrEqual(MARGIN_MS - 50);
    expect(cutOff.isLeader()).toBe(false);

    // Healed: the held renewal finds the key changed; the cut-off replica stays a follower.
    proxy.restore();
    await sleep(3 * POLL_MS);
    expect([cutOff.isLeader(), direct.isLeader()]).toEqual([false, true]);
  });

  it('steps down at the next renewal when its key is deleted or overwritten', async () => {
    for (const tamper of ['delete', 'overwrite'] as const) {
      const { key, leader, log } = aContest(['a']);
      const elected = await leader();
      if (tamper === 'delete') await redis.del(key);
      else await redis.set(key, 'intruder:1', 'PX', 60_000);
      const ms = await timeUntil(() => log().includes('a:false'), 5 * POLL_MS);
      expect(ms).toBeLessThan(POLL_MS + 100);
      if (tamper === 'delete') {
        // The key is free again: it campaigns and wins with a new term.
        await vi.waitFor(() => expect(log()).toEqual(['a:true', 'a:false', 'a:true']));
      } else {
        await sleep(3 * POLL_MS);
        expect(log()).toEqual(['a:true', 'a:false']);
        expect(await redis.get(key)).toBe('intruder:1');
      }
      await elected.stop();
    }
  });

  it('gives every acquisition a higher fencing term, stored with the lease', async () => {
    const { key, leader } = aContest(['a', 'b']);
    const terms: number[] = [];
    let current = await leader();
    for (let handover = 0; handover < 3; handover++) {
      terms.push(current.term!);
      expect(await redis.get(key)).toBe(`${current.replicaId}:${current.term}`);
      await current.stop();
      const next = anElection({ key, replicaId: `r${handover}` });
      next.start(() => {});
      current = await vi.waitFor(
        () => {
          const found = started.find((e) => e.isLeader());
          expect(found).toBeDefined();
          return found!;
        },
        { timeout: 5_000 },
      );
    }
    terms.push(current.term!);
    expect(terms).toEqual([...terms].sort((x, y) => x - y));
    expect(new Set(terms).size).toBe(terms.length);
    expect(Number(await redis.get(`${key}:term`))).toBe(terms.at(-1));
  });

  it('stays leader through a blip shorter than its margin', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
    proxies.push(proxy);
    const url = throughProxy(TEST_REDIS_URL, proxy);
    const changes: boolean[] = [];
    const election = anElection({ redisUrl: url });
    election.start((isLeader) => changes.push(isLeader));
    await vi.waitFor(() => expect(election.isLeader()).toBe(true));

    proxy.blackhole();
    await sleep(LEASE_MS - MARGIN_MS - 2 * POLL_MS);
    proxy.restore();
    await sleep(3 * POLL_MS);

    expect(changes).toEqual([true]);
    expect(election.isLeader()).toBe(true);
  });

  it('stops promptly while Redis does not answer, and while it refuses', async () => {
    for (const fault of ['blackhole', 'down'] as const) {
      const proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
      proxies.push(proxy);
      const url = throughProxy(TEST_REDIS_URL, proxy);
      const changes: boolean[] = [];
      const election = anElection({ redisUrl: url });
      election.start((isLeader) => changes.push(isLeader));
      await vi.waitFor(() => expect(election.isLeader()).toBe(true));
      if (fault === 'blackhole') proxy.blackhole();
      else await proxy.stop();

      const startedAt = performance.now();
      await election.stop();

      // Bounded by the command timeout of the last release attempt: min(1 s, margin).
      expect(performance.now() - startedAt).toBeLessThan(MARGIN_MS + 150);
      expect(changes).toEqual([true, false]);
    }
  });

  it('never rejects while Redis is unreachable, and wins once it is back', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
    proxies.push(proxy);
    await proxy.stop();
    const url = throughProxy(TEST_REDIS_URL, proxy);
    const warnings: string[] = [];
    const election = anElection({
      redisUrl: url,
      log: (message, level) => level !== 'info' && warnings.push(message),
    });
    election.start(() => {});

    await sleep(1_000);
    expect(election.isLeader()).toBe(false);
    // One line per outage, not one per poll or reconnect attempt.
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings.length).toBeLessThanOrEqual(2);

    await proxy.start();
    const ms = await timeUntil(() => election.isLeader(), 5_000);
    // ioredis retries at most every second; the next round follows its 'ready' at once.
    expect(ms).toBeLessThan(2_000);
  });

  it('keeps campaigning when onChange throws', async () => {
    const election = anElection({ log: () => {} });
    election.start(() => {
      throw new Error('listener bug');
    });

    await vi.waitFor(() => expect(election.isLeader()).toBe(true));
    await election.stop();
    expect(election.isLeader()).toBe(false);
  });

  it('stops the lease it held when stopped, for good', async () => {
    const election = anElection();
    election.start(() => {});
    await vi.waitFor(() => expect(election.isLeader()).toBe(true));
    const lease = election.currentLease()!;

    await election.stop();
    await sleep(2 * POLL_MS);

    expect(lease.isValid()).toBe(false);
    expect(election.currentLease()).toBeNull();
  });

  // A stall (GC pause, SIGSTOP) longer than the safety margin: the timers run late and the key
  // may still hold our token. The lease that passed its deadline must stay invalid even though a
  // renewal would still succeed, and leading again takes a fresh acquisition with a higher term.
  it('after a stall past its deadline, keeps the old lease invalid and leads only with a new term', async () => {
    const leaseMs = 600;
    const pollMs = 200;
    const margin = Math.max(pollMs, leaseMs / 4);
    const warnings: string[] = [];
    const changes: boolean[] = [];
    const key = aKey();
    const election = anElection({
      key,
      leaseMs,
      pollMs,
      log: (message, level) => level === 'warn' && warnings.push(message),
    });
    election.start((isLeader) => changes.push(isLeader));
    await vi.waitFor(() => expect(election.isLeader()).toBe(true));
    // Just after a renewal, so that the stall outlasts a whole deadline.
    await sleep(pollMs / 2);
    const old = election.currentLease()!;
    expect(old.isValid()).toBe(true);

    const stalledAt = performance.now();
    while (performance.now() - stalledAt < leaseMs - margin + 50) {
      // Blocks the event loop: no timer, no renewal, no reply is handled meanwhile.
    }

    expect(old.isValid()).toBe(false);
    const renewed = await vi.waitFor(
      () => {
        const lease = election.currentLease();
        expect(lease?.term).toBeGreaterThan(old.term);
        return lease!;
      },
      { timeout: 3_000, interval: 10 },
    );
    expect(renewed.token).toBe(`${election.replicaId}:${renewed.term}`);
    expect(changes).toEqual([true, false, true]);
    expect(warnings.some((message) => /deadline/.test(message))).toBe(true);

    // Several renewals later the old lease is still dead.
    await sleep(3 * pollMs);
    expect(old.isValid()).toBe(false);
    expect(renewed.isValid()).toBe(true);
    expect(await redis.get(key)).toBe(renewed.token);
  });

  it('refuses a lease shorter than three polls', async () => {
    await new RedisLeaderElection({ redisUrl: TEST_REDIS_URL, key: aKey(), pollMs: 500 }).stop();
    expect(
      () =>
        new RedisLeaderElection({
          redisUrl: TEST_REDIS_URL,
          key: aKey(),
          pollMs: 500,
          leaseMs: 1_000,
        }),
    ).toThrow(/at least 3 × pollMs/);
  });
});
