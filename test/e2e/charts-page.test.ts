import { copyFileSync, mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/adapters/http/auth.js';
import { PostgresSyncHistory } from '../../src/adapters/postgres/postgres-sync-history.js';
import { DEFAULT_INTERVALS } from '../../src/domain/interval.js';
import type { SyncEvent, TickDecision } from '../../src/domain/ports/sync-history.js';
import {
  isSharedType,
  SERVICE_ACCOUNT,
  SYNC_TYPES,
  type SyncType,
} from '../../src/domain/sync-types.js';
import type { Service } from '../../src/service.js';
import { createTestDatabase, insertAgents, type TestDatabase } from '../support/postgres.js';
import { TEST_REDIS_URL } from '../support/redis.js';
import {
  aPrefix,
  callAdminApi,
  createTestService,
  deletePrefix,
  eventually,
  TEST_JWT_SECRET,
  testConfig,
} from '../support/service.js';
import { CHROMIUM, CHROMIUM_ARGS, HAS_CHROMIUM, OUTPUT_DIR } from '../support/chromium.js';

/*
 * The dashboard's pictures in headless Chromium, from a real run: the service on real
 * PostgreSQL and Redis with a release budget, its own first ticks, a BullMQ worker that
 * completes most jobs and fails some, and the history writer recording the outcomes.
 */

const DOCS = (file: string) => fileURLToPath(new URL(`../../docs/${file}`, import.meta.url));
const AGENTS = Array.from({ length: 12 }, (_, i) => ({
  id: `a-${String(i + 1).padStart(2, '0')}`,
  username: `agent ${i + 1}`,
}));
/** ERP_MAX_PER_MINUTE: the first ticks' 50 jobs go out in one minute. */
const PER_MINUTE = 60;
const LOGIN_REFUSED = 'ERP refused the login: password expired';
const TIMED_OUT = 'ERP timed out after 30 s';
const MINUTE = 60_000;
const JOBS_PER_CYCLE = 4 * AGENTS.length + 2;

const inPage = <T = unknown>(p: Page, expression: string) => p.evaluate(expression) as Promise<T>;
const poll = <T>(read: () => Promise<T> | T, timeout = 10_000) =>
  expect.poll(read, { timeout, interval: 100 });

if (!HAS_CHROMIUM) {
  describe('charts in headless Chromium', () => {
    it.skip(`needs a browser at ${CHROMIUM}: run scripts/install-browser.sh as root`, () => {});
  });
}

describe.skipIf(!HAS_CHROMIUM)('charts in headless Chromium', () => {
  let db: TestDatabase;
  let prefix: string;
  let queue: Queue;
  let worker: Worker;
  let service: Service;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let token: string;
  const requests: string[] = [];
  const consoleErrors: string[] = [];

  const api = (path: string) => callAdminApi(base, token, 'GET', path);
  const chart = (type: string) => page.locator(`#charts figure[data-type="${type}"]`);
  const agentRow = (userId: string) => page.locator(`#agent-rows tr[data-agent="${userId}"]`);
  const finished = async (type: SyncType) => {
    const { body } = await api(`/charts/${type}`);
    return (body.slots as { completed: number; failed: number }[]).reduce(
      (n, slot) => n + slot.completed + slot.failed,
      0,
    );
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await insertAgents(db.pool, AGENTS);
    prefix = aPrefix();
    queue = new Queue('operations', { connection: { url: TEST_REDIS_URL }, prefix });
    // A worker elsewhere: a-02's invoices always fail, a-05's orders fail once (no retry wait).
    const failedOnce = new Set<string>();
    worker = new Worker(
      'operations',
      async (job: Job) => {
        await sleep(20 + 10 * (job.data.userId.length % 5));
        if (job.name === 'sync-invoices' && job.data.userId === 'a-02') {
          throw new UnrecoverableError(LOGIN_REFUSED);
        }
        if (job.name === 'sync-orders' && job.data.userId === 'a-05' && !failedOnce.has('a-05')) {
          failedOnce.add('a-05');
          throw new UnrecoverableError(TIMED_OUT);
        }
      },
      { connection: { url: TEST_REDIS_URL }, prefix, concurrency: 8 },
    );
    // The real clock: every type never ran, so each ticks at once when this replica leads.
    const config = testConfig(db.url, prefix, {
      ERP_MAX_PER_MINUTE: String(PER_MINUTE),
      ERP_MAX_IN_FLIGHT: '100',
    });
    service = createTestService(config).service;
    await service.start();
    base = `http://127.0.0.1:${service.port}`;
    token = await signToken(TEST_JWT_SECRET);
    // Every job of the first cycle finished and recorded by the history writer.
    await eventually(async () => {
      const counts = await Promise.all(SYNC_TYPES.map(finished));
      return counts.reduce((a, b) => a + b, 0) === JOBS_PER_CYCLE;
    }, 30_000);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      locale: 'en-GB',
      timezoneId: 'UTC',
    });
    context.setDefaultTimeout(5_000);
    page = await context.newPage();
    page.on('request', (request) => requests.push(request.url()));
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        consoleErrors.push(message.text());
      }
    });
    mkdirSync(OUTPUT_DIR, { recursive: true });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await worker?.close();
    await queue?.close();
    await service?.stop();
    if (prefix) await deletePrefix(prefix);
    await db?.drop();
  });

  it('draws one chart per type once signed in, each an SVG of the last 24 h', async () => {
    await page.goto(`${base}/admin`);
    await page.getByLabel('Admin token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await poll(() => page.locator('#charts figure svg.chart-svg').count()).toBe(6);
    expect(
      await inPage(
        page,
        "[...document.querySelectorAll('#charts figure')].map((f) => f.dataset.type)",
      ),
    ).toEqual([...SYNC_TYPES]);
    expect(await page.getByLabel('Range').inputValue()).toBe('24');
    const reads = requests.filter((url) => url.includes('/api/sync/charts/')).slice(0, 6);
    expect(reads.map((url) => new URL(url).pathname.split('/').at(-1))).toEqual([...SYNC_TYPES]);
    expect(reads.every((url) => url.endsWith('?hours=24'))).toBe(true);
  });

  it("shows each type's outcomes as bars in the slot they finished in, failures on top", async () => {
    // The run may straddle a slot boundary: every check goes by the slots that hold outcomes.
    const { body } = await api('/charts/invoices');
    const slots = (body.slots as { start: number; completed: number; failed: number }[]).filter(
      (slot) => slot.completed + slot.failed > 0,
    );
    expect(slots.reduce((n, slot) => n + slot.completed, 0)).toBe(AGENTS.length - 1);
    expect(slots.reduce((n, slot) => n + slot.failed, 0)).toBe(1);
    const invoices = chart('invoices');
    const starts = (kind: string) =>
      inPage<number[]>(
        page,
        `[...document.querySelectorAll('#charts figure[data-type="invoices"] rect.bar-${kind}')]
          .map((r) => Number(r.dataset.start))`,
      );
    expect(await starts('completed')).toEqual(slots.filter((s) => s.completed).map((s) => s.start));
    expect(await starts('failed')).toEqual(slots.filter((s) => s.failed).map((s) => s.start));
    // The bars stand on the axis, failed above completed, in proportion.
    const bar = async (kind: string, start: number) => {
      const rect = invoices.locator(`rect.bar-${kind}[data-start="${start}"]`);
      return {
        y: Number(await rect.getAttribute('y')),
        h: Number(await rect.getAttribute('height')),
      };
    };
    for (const slot of slots.filter((s) => s.completed && s.failed)) {
      const [completed, failed] = [
        await bar('completed', slot.start),
        await bar('failed', slot.start),
      ];
      expect(failed.y + failed.h).toBeCloseTo(completed.y, 5);
      expect(completed.h / failed.h).toBeCloseTo(slot.completed / slot.failed, 5);
    }
    // Each slot's tooltip carries its figures, the chart's label the range's totals.
    for (const slot of slots) {
      const title = invoices.locator(`rect.chart-slot[data-start="${slot.start}"] title`);
      expect(await title.textContent()).toContain(
        `completed ${slot.completed}, failed ${slot.failed}`,
      );
    }
    expect(await invoices.locator('svg').getAttribute('aria-label')).toContain(
      `${AGENTS.length - 1} completed, 1 failed`,
    );
    for (const type of ['orders', 'customers', 'ddt', 'products', 'prices']) {
      expect(await chart(type).locator('rect.bar-completed').count(), type).toBeGreaterThan(0);
    }
    expect(await chart('orders').locator('rect.bar-failed').count()).toBe(1);
    expect(await chart('products').locator('rect.bar-failed').count()).toBe(0);
  });

  it('draws the release budget per slot: ERP_MAX_PER_MINUTE × the interval', async () => {
    for (const type of SYNC_TYPES) {
      const line = chart(type).locator('line.chart-budget');
      expect(await line.count(), type).toBe(1);
      expect(await line.getAttribute('data-budget')).toBe(
        String(PER_MINUTE * DEFAULT_INTERVALS[type]),
      );
    }
    // 600 per 10-minute slot is far above 12 jobs: drawn at the top, marked off scale.
    expect(await chart('orders').locator('line.chart-budget.off-scale').count()).toBe(1);
    expect(await chart('orders').locator('.chart-legend').textContent()).toContain(
      'budget 600 per slot',
    );
    expect(await chart('orders').locator('.chart-note').textContent()).toContain(
      'slots of 10 min (interval 10 min) · at most 100 in flight',
    );
  });

  it("shows each agent's newest outcomes as a strip of coloured cells, with time and reason", async () => {
    await page.getByRole('tab', { name: 'Agents' }).click();
    await poll(() => page.locator('#agent-rows tr').count()).toBe(AGENTS.length + 1);
    const cells = (userId: string, kind: string) => agentRow(userId).locator(`rect.cell-${kind}`);
    await poll(() => cells('a-02', 'failed').count()).toBe(1);
    expect(await cells('a-02', 'ok').count()).toBe(3);
    expect(await cells('a-02', 'failed').locator('title').textContent()).toMatch(
      new RegExp(`^invoices · .+ · failed: ${LOGIN_REFUSED}$`),
    );
    expect(await cells('a-05', 'failed').locator('title').textContent()).toContain(TIMED_OUT);
    await poll(() => cells('a-01', 'ok').count()).toBe(4);
    expect(await cells('a-01', 'failed').count()).toBe(0);
    // A strip is read when its row comes into view: the shared types' row is further down.
    await agentRow(SERVICE_ACCOUNT).scrollIntoViewIfNeeded();
    await poll(() => cells(SERVICE_ACCOUNT, 'ok').count()).toBe(2);
    // The same outcomes the API gives, newest on the right.
    const { body } = await api('/agents/a-02/outcomes');
    const newest = body.outcomes[0];
    const titles = await agentRow('a-02').locator('rect.cell title').allTextContents();
    expect(titles.at(-1)).toMatch(new RegExp(`^${newest.type} · `));
    expect(await agentRow('a-02').locator('svg.strip-svg').getAttribute('aria-label')).toBe(
      'Newest outcomes of a-02: 3 completed, 1 failed',
    );
    expect(requests.filter((url) => url.includes('/outcomes?limit=20')).length).toBeGreaterThan(0);
  });

  it('looks right in the agents view (screenshot)', async () => {
    // Tall enough for every row to be in view, so that every strip is read and drawn.
    await page.setViewportSize({ width: 1280, height: 2200 });
    await poll(() => page.locator('#agent-rows svg.strip-svg').count()).toBe(AGENTS.length + 1);
    await page.setViewportSize({ width: 1280, height: 800 });
    await inPage(page, 'document.activeElement?.blur()');
    const file = `${OUTPUT_DIR}charts-agents.png`;
    await page.screenshot({ path: file, fullPage: true });
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') copyFileSync(file, DOCS('agents.png'));
  });

  it('marks a day of history, with its outage, window and budget, in the right slots', async () => {
    // A day before this run, as the history writer and the scheduler leave it for a fleet of
    // 400 agents (rows in the very tables they write), so the picture shows a day's shape.
    await backfillDay(new PostgresSyncHistory(db.pool), Date.now());
    await page.getByRole('tab', { name: 'Sync types' }).click();
    await page.getByLabel('Range').selectOption('6');
    await poll(() => page.locator('#charts').getAttribute('data-hours')).toBe('6');
    await page.getByLabel('Range').selectOption('24');
    await poll(() => chart('orders').locator('rect.bar-completed').count()).toBeGreaterThan(100);
    // The working window keeps invoices quiet at night: held back, marked under the axis.
    expect(await chart('invoices').locator('rect.chart-held').count()).toBeGreaterThan(20);
    // The budget is on the scale now that a slot holds hundreds of jobs, and releases are drawn.
    expect(await chart('orders').locator('line.chart-budget:not(.off-scale)').count()).toBe(1);
    expect(await chart('orders').locator('path.chart-released').count()).toBe(1);
    // The outage: slots where most jobs failed.
    expect(await chart('orders').locator('rect.bar-failed').count()).toBeGreaterThan(5);
  });

  it('looks tidy on a laptop (screenshot for the README)', async () => {
    await inPage(page, 'document.activeElement?.blur()');
    const file = `${OUTPUT_DIR}charts-laptop.png`;
    await page.screenshot({ path: file, fullPage: true });
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') copyFileSync(file, DOCS('admin.png'));
  });

  it('fits a phone: the charts stack and nothing scrolls sideways', async () => {
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      locale: 'en-GB',
      timezoneId: 'UTC',
    });
    try {
      const p = await phone.newPage();
      await p.goto(`${base}/admin`);
      await p.getByLabel('Admin token').fill(token);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await poll(() => p.locator('#charts figure svg').count()).toBe(6);
      expect(await inPage(p, 'document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await p.screenshot({ path: `${OUTPUT_DIR}charts-phone.png`, fullPage: true });
    } finally {
      await phone.close();
    }
  });

  it('used nothing but the service, with no console error', async () => {
    const origin = new URL(base).origin;
    expect(
      requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:')),
    ).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await context.close();
  });
});

const FLEET = 400;

/**
 * One slot per interval of each type for the 24 h before the current slot: every agent
 * released and synced once (products and prices: one job), ~1 % failing; a one-hour ERP
 * outage five hours ago (most jobs fail), then two slots the ERP breaker held back; invoices
 * only within 07:00-20:00 UTC (outside: skipped_window), with the morning's backlog deferred
 * by the budget; a few still pending each slot.
 */
async function backfillDay(history: PostgresSyncHistory, now: number): Promise<void> {
  for (const type of SYNC_TYPES) {
    const slotMs = DEFAULT_INTERVALS[type] * MINUTE;
    const current = Math.floor(now / slotMs) * slotMs;
    const agents = isSharedType(type) ? [SERVICE_ACCOUNT] : fleet();
    const events: SyncEvent[] = [];
    const decisions: TickDecision[] = [];
    const slots = Math.floor((24 * 60 * MINUTE) / slotMs) - 1;
    for (let k = 1; k <= slots; k++) {
      const start = current - k * slotMs;
      const hoursAgo = (now - start) / (60 * MINUTE);
      const hour = new Date(start).getUTCHours();
      const decide = (decisionClass: TickDecision['class'], count: number) => {
        if (count > 0) decisions.push({ type, at: start + 1_000, class: decisionClass, count });
      };
      if (hoursAgo > 4 && hoursAgo <= 4.5 && !isSharedType(type)) {
        decide('skipped_breaker', agents.length);
        continue;
      }
      if (type === 'invoices' && (hour < 7 || hour >= 20)) {
        decide('skipped_window', agents.length);
        continue;
      }
      const outage = hoursAgo > 4.5 && hoursAgo <= 5.5;
      decide('released', agents.length);
      decide('deduplicated', agents.length > 1 ? 2 + (k % 4) : 0);
      if (type === 'invoices' && hour === 7) decide('deferred_budget', agents.length / 2);
      agents.forEach((userId, j) => {
        const fails = outage ? j % 5 < 3 : j % 97 === k % 97;
        events.push({
          jobId: `backfill.${type}.${k}.${j}`,
          type,
          userId,
          success: !fails,
          finishedAt: start + 5_000 + Math.floor((j * (slotMs - 10_000)) / agents.length),
          durationMs: 800 + ((j * 37) % 900),
          error: fails ? (outage ? 'ERP answered 503 Service Unavailable' : TIMED_OUT) : null,
        });
      });
    }
    for (let i = 0; i < events.length; i += 20_000) {
      await history.recordMany(events.slice(i, i + 20_000));
    }
    await history.recordDecisions(decisions);
  }
}

const fleet = () =>
  Array.from({ length: FLEET }, (_, i) => `fleet-${String(i + 1).padStart(4, '0')}`);
