import { afterEach, describe, expect, it } from 'vitest';
import { msUntil, report, sleep } from '../support/fault-harness.js';
import { FaultFixture } from '../support/fault-fixture.js';

/** Long enough for four failed attempts (backoff 0.5 s, 1 s, 2 s, …). */
const DOWN_MS = 5_000;

describe('fault: a dependency down at boot', () => {
  let fixture: FaultFixture;
  afterEach(() => fixture?.cleanup());

  it.each(['postgres', 'redis'] as const)(
    'waits for %s with a clear log line per attempt, answers /readyz 503 meanwhile, and becomes ready once it returns',
    async (dependency) => {
      fixture = await FaultFixture.create({
        proxyPostgres: dependency === 'postgres',
        proxyRedis: dependency === 'redis',
      });
      const { service, http } = fixture;
      const proxy = (dependency === 'postgres' ? fixture.pgProxy : fixture.redisProxy)!;
      const other = dependency === 'postgres' ? 'redis' : 'postgres';
      await proxy.stop();

      const bootedAt = performance.now();
      let booted = false;
      let bootError: unknown;
      const booting = fixture.startInBackground().then(
        () => (booted = true),
        (error: unknown) => (bootError = error),
      );

      // HTTP answers at once, and says what is missing.
      await msUntil(() => service.port !== 0, 5_000, 10);
      const waiting = await http.request('GET', '/readyz');
      expect(waiting.status).toBe(503);
      expect(waiting.body).toMatchObject({
        success: false,
        error: `Not ready: ${dependency} unreachable.`,
        checks: { [dependency]: 'unreachable', [other]: 'ok' },
      });
      expect((await http.request('GET', '/healthz')).status).toBe(200);

      await sleep(DOWN_MS);
      expect(booted).toBe(false);
      expect(bootError).toBeUndefined();
      expect(service.leadership.isLeader()).toBe(false);
      expect(fixture.events('tick')).toEqual([]);
      const attempts = fixture.logs.filter((l) => l.dependency === dependency && l.level === 40);
      expect(attempts.length).toBeGreaterThanOrEqual(3);
      attempts.forEach((line, i) => {
        expect(line).toMatchObject({ attempt: i + 1, retryInMs: expect.any(Number) });
        expect(line.msg).toMatch(
          new RegExp(
            `^${dependency} is not reachable yet \\(attempt ${i + 1}: .+\\); retrying in \\d+ ms$`,
          ),
        );
      });
      // The cause, not a client library's retry bookkeeping.
      expect(attempts[0]?.msg).toMatch(/ECONNREFUSED/);
      const delays = attempts.map((l) => l.retryInMs as number);
      expect(delays.slice(0, 3)).toEqual([500, 1000, 2000]);

      await proxy.start();
      const restoredAt = performance.now();
      await booting;
      expect(bootError).toBeUndefined();
      const bootedAfterRestoreMs = Math.round(performance.now() - restoredAt);
      await msUntil(async () => (await http.request('GET', '/readyz')).status === 200, 10_000);
      const readyAfterRestoreMs = Math.round(performance.now() - restoredAt);
      await msUntil(() => service.leadership.isLeader(), 10_000);
      const leaderAfterRestoreMs = Math.round(performance.now() - restoredAt);
      // Real timers: every never-run type ticks as soon as this replica leads.
      await msUntil(() => fixture.events('tick').length === 6, 10_000);
      const firstTicksAfterRestoreMs = Math.round(performance.now() - restoredAt);
      expect(fixture.events('tick_failed')).toEqual([]);
      expect(fixture.logMessages()).toContain(`${dependency} is reachable`);

      expect(fixture.unhandled.seen).toEqual([]);
      await report(`${dependency}-down-at-boot`, {
        downMs: Math.round(restoredAt - bootedAt),
        attemptsLogged: attempts.length,
        retryDelaysMs: delays,
        sampleLine: attempts[0]?.msg,
        bootedAfterRestoreMs,
        readyAfterRestoreMs,
        leaderAfterRestoreMs,
        firstTicksAfterRestoreMs,
      });
    },
    30_000,
  );
});
