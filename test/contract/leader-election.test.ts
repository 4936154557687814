import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { InMemoryLeaderElection } from '../../src/adapters/memory/in-memory-leader-election.js';
import {
  LEADER_SESSION_SETUP,
  lockKeyFor,
  PostgresLeaderElection,
  type PostgresLeaderElectionOptions,
} from '../../src/adapters/postgres/postgres-leader-election.js';
import { startPartitionProxy } from '../support/partition-proxy.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { describeLeaderElectionContract } from './leader-election.contract.js';

const POLL_MS = 200;

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

let db: TestDatabase;
const started: PostgresLeaderElection[] = [];

beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((election) => election.stop()));
});

afterAll(async () => {
  await db?.drop();
});

/** A key of each test's own, so electors of different tests never compete. */
const aLockKey = (): bigint => lockKeyFor(`test-${randomBytes(8).toString('hex')}`);

function anElection(options: Partial<PostgresLeaderElectionOptions> = {}): PostgresLeaderElection {
  const election = new PostgresLeaderElection({
    databaseUrl: db.url,
    pollMs: POLL_MS,
    lockKey: aLockKey(),
    ...options,
  });
  started.push(election);
  return election;
}

describeLeaderElectionContract('PostgresLeaderElection', async () => ({
  election: anElection(),
  cleanup: async () => {},
}));

/** Electors sharing one key, each logging its changes as "<name>:<isLeader>" in one list. */
function aContest(names: string[], options: Partial<PostgresLeaderElectionOptions> = {}) {
  const lockKey = aLockKey();
  const log: string[] = [];
  const electors = names.map((name) => {
    const election = anElection({ lockKey, replicaId: name, ...options });
    election.start((isLeader) => log.push(`${name}:${isLeader}`));
    return election;
  });
  const leaders = () => electors.filter((election) => election.isLeader());
  const leader = async (): Promise<PostgresLeaderElection> => {
    await vi.waitFor(() => expect(leaders()).toHaveLength(1), { timeout: 5_000, interval: 20 });
    return leaders()[0]!;
  };
  return { lockKey, log, electors, leaders, leader };
}

async function backendHolding(lockKey: bigint): Promise<number> {
  const { rows } = await db.pool.query<{ pid: number }>(
    `select pid from pg_locks
     where locktype = 'advisory' and granted and objsubid = 1
       and ((classid::int8 << 32) | objid::int8) = $1::int8`,
    [lockKey.toString()],
  );
  expect(rows).toHaveLength(1);
  return rows[0]!.pid;
}

async function timeUntil(condition: () => boolean, timeoutMs: number): Promise<number> {
  const startedAt = performance.now();
  await vi.waitFor(() => expect(condition()).toBe(true), { timeout: timeoutMs, interval: 10 });
  return performance.now() - startedAt;
}

describe('PostgresLeaderElection among replicas', () => {
  it('elects exactly one of three electors on the same key, and keeps it', async () => {
    const contest = aContest(['a', 'b', 'c']);
    const leader = await contest.leader();

    await new Promise((resolve) => setTimeout(resolve, 5 * POLL_MS));

    expect(contest.leaders()).toEqual([leader]);
    expect(contest.log).toEqual([`${leader.replicaId}:true`]);
  });

  it('lets electors on different keys lead side by side', async () => {
    const a = anElection();
    const b = anElection();
    a.start(() => {});
    b.start(() => {});

    await vi.waitFor(() => expect([a.isLeader(), b.isLeader()]).toEqual([true, true]));
  });

  it('hands over when the leader stops: another leads within a few poll periods', async () => {
    const contest = aContest(['a', 'b']);
    const leader = await contest.leader();
    const follower = contest.electors.find((election) => election !== leader)!;

    const stopped = leader.stop();
    const ms = await timeUntil(() => follower.isLeader(), 5 * POLL_MS);
    await stopped;

    expect(ms).toBeLessThan(3 * POLL_MS);
    expect(contest.log).toEqual([
      `${leader.replicaId}:true`,
      `${leader.replicaId}:false`,
      `${follower.replicaId}:true`,
    ]);
  });

  it('releases the lock on stop, so any session can take it at once', async () => {
    const { lockKey, leader } = aContest(['a']);
    await (await leader()).stop();

    const { rows } = await db.pool.query('select pg_try_advisory_lock($1::int8) as locked', [
      lockKey.toString(),
    ]);
    await db.pool.query('select pg_advisory_unlock_all()');
    expect(rows[0].locked).toBe(true);
  });

  it("steps down and lets another take over when the leader's backend is killed", async () => {
    const contest = aContest(['a', 'b']);
    const leader = await contest.leader();
    const follower = contest.electors.find((election) => election !== leader)!;

    await db.pool.query('select pg_terminate_backend($1)', [await backendHolding(contest.lockKey)]);
    const ms = await timeUntil(() => follower.isLeader(), 5 * POLL_MS);

    expect(ms).toBeLessThan(3 * POLL_MS);
    // The old leader said it lost before the new one said it won.
    expect(contest.log).toEqual([
      `${leader.replicaId}:true`,
      `${leader.replicaId}:false`,
      `${follower.replicaId}:true`,
    ]);
  });

  it('campaigns again after its own backend is killed, and wins when alone', async () => {
    const { lockKey, leader, log } = aContest(['a']);
    const elected = await leader();

    await db.pool.query('select pg_terminate_backend($1)', [await backendHolding(lockKey)]);

    await vi.waitFor(() => expect(log).toEqual(['a:true', 'a:false', 'a:true']), {
      timeout: 5_000,
    });
    expect(elected.isLeader()).toBe(true);
  });

  it('steps down within a poll and a heartbeat timeout when its network vanishes', async () => {
    const proxy = await startPartitionProxy({ host: '127.0.0.1', port: 5432 });
    try {
      const behindProxy = new URL(db.url);
      behindProxy.port = String(proxy.port);
      const lockKey = aLockKey();
      const log: string[] = [];
      const leader = anElection({
        databaseUrl: behindProxy.toString(),
        lockKey,
        replicaId: 'partitioned',
        heartbeatTimeoutMs: 300,
      });
      leader.start((isLeader) => log.push(`partitioned:${isLeader}`));
      await vi.waitFor(() => expect(leader.isLeader()).toBe(true));
      const follower = anElection({ lockKey, replicaId: 'follower' });
      follower.start((isLeader) => log.push(`follower:${isLeader}`));

      proxy.partition();
      const ms = await timeUntil(() => !leader.isLeader(), 5 * POLL_MS);
      expect(ms).toBeLessThanOrEqual(POLL_MS + 300 + 100);

      // The server still holds the old session, so nobody else may lead yet...
      await new Promise((resolve) => setTimeout(resolve, 3 * POLL_MS));
      expect(follower.isLeader()).toBe(false);
      // ...until its keepalive gives up on the vanished client.
      proxy.cutServerSide();
      await vi.waitFor(() => expect(follower.isLeader()).toBe(true), { timeout: 5 * POLL_MS });
      expect(log).toEqual(['partitioned:true', 'partitioned:false', 'follower:true']);
    } finally {
      await Promise.all(started.splice(0).map((election) => election.stop()));
      await proxy.close();
    }
  });

  it('stops promptly while the server does not answer', async () => {
    const proxy = await startPartitionProxy({ host: '127.0.0.1', port: 5432 });
    try {
      proxy.partition();
      const url = new URL(db.url);
      url.port = String(proxy.port);
      const election = anElection({ databaseUrl: url.toString() });
      election.start(() => {});
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));

      const startedAt = performance.now();
      await election.stop();

      expect(performance.now() - startedAt).toBeLessThan(500);
    } finally {
      await proxy.close();
    }
  });

  it('never rejects while the database is unreachable, and wins once it is back', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
    try {
      await proxy.stop();
      const url = new URL(db.url);
      url.port = String(proxy.port);
      const errors: string[] = [];
      const election = anElection({
        databaseUrl: url.toString(),
        log: (message, level) => level !== 'info' && errors.push(message),
      });
      election.start(() => {});

      await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(2), { timeout: 5_000 });
      expect(election.isLeader()).toBe(false);

      await proxy.start();
      await vi.waitFor(() => expect(election.isLeader()).toBe(true), { timeout: 5_000 });
    } finally {
      await Promise.all(started.splice(0).map((election) => election.stop()));
      await proxy.stop();
    }
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
});

// The session settings that bound how long a vanished leader keeps its lock.
describe('PostgresLeaderElection session setup', () => {
  it('sets server-side TCP keepalives, which any role may set', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(LEADER_SESSION_SETUP);
      const { rows } = await client.query<{ name: string; setting: string; context: string }>(
        `select name, setting, context from pg_settings
         where name in ('tcp_keepalives_idle', 'tcp_keepalives_interval',
                        'tcp_keepalives_count', 'tcp_user_timeout')
         order by name`,
      );
      expect(rows).toEqual([
        { name: 'tcp_keepalives_count', setting: '3', context: 'user' },
        { name: 'tcp_keepalives_idle', setting: '5', context: 'user' },
        { name: 'tcp_keepalives_interval', setting: '2', context: 'user' },
        { name: 'tcp_user_timeout', setting: '10000', context: 'user' },
      ]);
    } finally {
      await client.end();
    }
  });
});
