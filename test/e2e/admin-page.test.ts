import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../src/adapters/http/auth.js';
import { ADMIN_CSP } from '../../src/adapters/http/routes/admin-routes.js';
import { ManualClock } from '../../src/adapters/memory/manual-clock.js';
import { SYNC_TYPES } from '../../src/domain/sync-types.js';
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

const AGENTS = [
  { id: 'a-1', username: 'anna' },
  { id: 'a-2', username: 'bruno' },
  { id: 'a-3', username: 'carla' },
];
const ERP_DOWN = 'ERP answered 503 Service Unavailable';
const PENDING = ['waiting', 'prioritized', 'delayed'] as const;

/** Runs an expression in the page (a string: this project's TypeScript has no DOM types). */
const inPage = <T = unknown>(p: Page, expression: string) => p.evaluate(expression) as Promise<T>;

/** expect.poll with room for a page that refreshes every 5 s. */
const poll = <T>(read: () => Promise<T> | T, timeout = 10_000) =>
  expect.poll(read, { timeout, interval: 100 });

if (!HAS_CHROMIUM) {
  describe('admin page in headless Chromium', () => {
    it.skip(`needs a browser at ${CHROMIUM}: run scripts/install-browser.sh as root`, () => {});
  });
}

/*
 * One service, one browser, one signed-in page, driven step by step like an operator would:
 * each test starts where the previous one left off.
 */
describe.skipIf(!HAS_CHROMIUM)('admin page in headless Chromium', () => {
  let db: TestDatabase;
  let prefix: string;
  let queue: Queue;
  let service: Service;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let worker: Worker | undefined;
  let base: string;
  let token: string;
  const clock = new ManualClock(Date.now());
  const requests: string[] = [];
  const consoleErrors: string[] = [];

  const api = (method: string, path: string, body?: unknown) =>
    callAdminApi(base, token, method, path, body);

  async function openPage(viewport: { width: number; height: number }) {
    const ctx = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC' });
    const p = await ctx.newPage();
    p.on('request', (request) => requests.push(request.url()));
    p.on('pageerror', (error) => consoleErrors.push(error.message));
    p.on('console', (message) => {
      // A 4xx the page asked for and handled is logged by Chromium too; anything else counts.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        consoleErrors.push(message.text());
      }
    });
    return { ctx, p };
  }

  async function signIn(p: Page, pasted = token) {
    await p.getByLabel('Admin token').fill(pasted);
    await p.getByRole('button', { name: 'Sign in' }).click();
  }

  const row = (type: string) => page.locator(`#type-rows tr[data-type="${type}"]`);
  const notice = () => page.locator('#notice').textContent();

  beforeAll(async () => {
    db = await createTestDatabase();
    await insertAgents(db.pool, AGENTS);
    prefix = aPrefix();
    queue = new Queue('operations', { connection: { url: TEST_REDIS_URL }, prefix });
    // A manual clock: nothing ticks on its own, so every job in Redis is one the page asked for.
    service = createTestService(testConfig(db.url, prefix), clock).service;
    await service.start();
    await eventually(() => service.scheduler.isLeader());
    base = `http://127.0.0.1:${service.port}`;
    token = await signToken(TEST_JWT_SECRET);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    ({ ctx: context, p: page } = await openPage({ width: 1280, height: 800 }));
    // Locators wait for their element; a missing one should fail fast, not at the test timeout.
    context.setDefaultTimeout(5_000);
    mkdirSync(OUTPUT_DIR, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.close();
    await queue?.close();
    await service?.stop();
    if (prefix) await deletePrefix(prefix);
    await db?.drop();
  });

  it('is served by the service itself, under its Content-Security-Policy', async () => {
    const response = await page.goto(`${base}/admin`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toBe(ADMIN_CSP);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  it("refuses a bad token with the server's own message", async () => {
    const refusals = [
      ['not-a-token', 'The token is invalid.'],
      [
        await signToken(TEST_JWT_SECRET, { ttl: '-1h' }),
        'The token has expired: claim "exp" is in the past.',
      ],
      [
        await signToken(TEST_JWT_SECRET, { role: 'operator' }),
        'The token carries neither the admin nor the viewer role (claim "role").',
      ],
    ];
    for (const [pasted, message] of refusals) {
      await signIn(page, pasted);
      await poll(() => page.locator('#token-error').textContent()).toBe(message);
    }
    expect(await inPage(page, 'sessionStorage.length')).toBe(0);
  });

  it('signs in with a pasted token and shows the six types, the scheduler and the leader', async () => {
    await signIn(page);
    await poll(() => page.locator('#type-rows tr').count()).toBe(6);
    expect(await page.getByRole('rowheader').allInnerTexts()).toEqual([...SYNC_TYPES]);
    expect(await page.locator('#auto-state').textContent()).toBe('Running');
    expect(await page.locator('#leader-state').textContent()).toBe('Leader');
    expect(await page.locator('#replica-id').textContent()).toBe(service.leadership.replicaId);
    expect(await page.getByLabel('Interval for orders (minutes)').inputValue()).toBe('10');
    expect(await inPage(page, 'Object.keys(sessionStorage)')).toEqual([
      'sync-scheduler:admin-token',
    ]);
  });

  it('names every control in the accessibility tree, and every header has a scope', async () => {
    // Chromium's own accessibility tree: a control without a label shows up with no name.
    const tree = await page.locator('body').ariaSnapshot();
    const controls = tree
      .split('\n')
      .filter((line) => /- (button|textbox|spinbutton|combobox)\b/.test(line));
    expect(controls.length).toBeGreaterThan(6 * 4);
    expect(controls.filter((line) => !/- \w+ "[^"]+"/.test(line))).toEqual([]);
    expect(tree).toContain('spinbutton "Interval for orders (minutes)"');
    expect(await page.getByRole('columnheader').count()).toBe(8);
    expect(await page.getByRole('rowheader').count()).toBe(6);
    expect(await page.locator('th:not([scope])').count()).toBe(0);
    expect(await page.locator('#notice').getAttribute('aria-live')).toBe('polite');
  });

  it('changes an interval: stored in the database and served by the API', async () => {
    await page.getByLabel('Interval for orders (minutes)').fill('12');
    await page.getByRole('button', { name: 'Save interval for orders' }).click();
    await poll(notice).toBe('Interval for orders set to 12 minutes');
    expect((await api('GET', '/intervals')).body.intervals.orders).toBe(12);
    const { rows } = await db.pool.query<{ interval_minutes: number }>(
      "select interval_minutes from system.sync_settings where sync_type = 'orders'",
    );
    expect(rows).toEqual([{ interval_minutes: 12 }]);
    expect(service.scheduler.getDetailedIntervals().orders).toBe(12);
  });

  it('checks the bounds in the page before calling the API', async () => {
    const posts = () =>
      requests.filter((url) => url.includes('/api/sync/intervals/customers')).length;
    const field = page.getByLabel('Interval for customers (minutes)');
    for (const value of ['4', '1441', '7.5']) {
      await field.fill(value);
      await page.getByRole('button', { name: 'Save interval for customers' }).click();
      await poll(() => page.locator('#interval-error-customers').textContent()).toBe(
        'Enter a whole number of minutes from 5 to 1440.',
      );
      expect(await field.getAttribute('aria-invalid')).toBe('true');
    }
    expect(posts()).toBe(0);
    expect((await api('GET', '/intervals')).body.intervals.customers).toBe(15);
    await field.press('Escape'); // back to the saved value
    expect(await field.inputValue()).toBe('15');
  });

  it('changes the tier multipliers beside the interval, checking their bounds first', async () => {
    const idle = page.getByLabel('Idle multiplier for orders');
    const offline = page.getByLabel('Offline multiplier for orders');
    const save = page.getByRole('button', { name: 'Save multipliers for orders' });
    await poll(() => idle.inputValue()).toBe('4');
    expect(await offline.inputValue()).toBe('0');

    const posts = () => requests.filter((url) => url.endsWith('/api/sync/intervals/orders')).length;
    const before = posts();
    await idle.fill('101');
    await save.click();
    await poll(() => page.locator('#tiers-error-orders').textContent()).toBe(
      'Enter a whole number from 0 to 100.',
    );
    expect(await idle.getAttribute('aria-invalid')).toBe('true');
    expect(posts()).toBe(before);

    await idle.fill('6');
    await offline.fill('2');
    await save.click();
    await poll(notice).toBe('Settings for orders set: idle multiplier 6, offline multiplier 2');
    const { body } = await api('GET', '/intervals');
    expect([body.idleMultipliers.orders, body.offlineMultipliers.orders]).toEqual([6, 2]);
    expect(service.scheduler.settingsOf('orders')).toMatchObject({
      intervalMinutes: 12,
      idleMultiplier: 6,
      offlineMultiplier: 2,
    });

    // Back to the defaults, so the later steps see the fleet as it was.
    await idle.fill('4');
    await offline.fill('0');
    await save.click();
    await poll(notice).toBe('Settings for orders set: idle multiplier 4, offline multiplier 0');
  });

  it('sets a working window through the page, then clears it', async () => {
    const prices = row('prices');
    const summary = prices.locator('summary');
    const error = () => page.locator('#window-error-prices').textContent();
    const puts = () => requests.filter((url) => url.endsWith('/api/sync/windows/prices')).length;
    await poll(() => summary.textContent()).toBe('Hours: Any hour');
    await summary.click();

    const from = page.getByLabel('Working hours from for prices');
    const to = page.getByLabel('Working hours to for prices');
    const zone = page.getByLabel('Time zone for prices');
    const save = page.getByRole('button', { name: 'Save working hours for prices' });
    await from.fill('07:00');
    await to.fill('07:00');
    await save.click();
    await poll(error).toBe('The window must not start and end at the same time.');
    expect(puts()).toBe(0);

    // What only the server can judge comes back word for word.
    await to.fill('20:00');
    for (const day of ['Mon', 'Tue', 'Wed', 'Thu', 'Fri']) {
      await page.getByLabel(`${day} (prices)`).check();
    }
    for (const day of ['Sat', 'Sun']) await page.getByLabel(`${day} (prices)`).uncheck();
    await zone.fill('Mars/Olympus');
    await save.click();
    await poll(error).toBe('timeZone must be an IANA time zone, e.g. Europe/Rome.');
    expect(service.scheduler.settingsOf('prices').window).toBeNull();

    const window = { from: '07:00', to: '20:00', days: [1, 2, 3, 4, 5], timeZone: 'Europe/Rome' };
    await zone.fill('Europe/Rome');
    await save.click();
    await poll(notice).toBe('Working window for prices set to Mon–Fri 07:00–20:00 Europe/Rome');
    expect(await error()).toBe('');
    await poll(() => summary.textContent()).toBe('Hours: Mon–Fri 07:00–20:00 Europe/Rome');
    expect((await api('GET', '/windows')).body.windows.prices).toEqual(window);
    const { rows } = await db.pool.query(
      "select working_window from system.sync_settings where sync_type = 'prices'",
    );
    expect(rows).toEqual([{ working_window: window }]);
    expect(service.scheduler.settingsOf('prices').window).toEqual(window);

    await page.getByRole('button', { name: 'Clear working hours for prices' }).click();
    await poll(notice).toBe('Working window for prices cleared: it may sync at any hour');
    await poll(() => summary.textContent()).toBe('Hours: Any hour');
    expect(service.scheduler.settingsOf('prices').window).toBeNull();
    await summary.click(); // closed again, as the later steps expect the page
  });

  it("shows the server's refusal verbatim: an agent that is not whitelisted", async () => {
    // The page cannot know the whitelist, so only the server can refuse this one.
    const direct = await api('POST', '/trigger/orders', { userId: 'ghost' });
    expect(direct.status).toBe(404);
    await page.getByLabel('Sync type', { exact: true }).selectOption('orders');
    await page.getByLabel('Agent id').fill('ghost');
    await page.getByRole('button', { name: 'Run for this agent' }).click();
    await poll(() => page.locator('#run-agent-error').textContent()).toBe(direct.body.error);
    expect(direct.body.error).toBe('Agent ghost is not a whitelisted agent.');
    expect(await queue.getJobs([...PENDING])).toEqual([]);
  });

  it('pauses and resumes a type through the API', async () => {
    await page.getByRole('button', { name: 'Pause customers' }).click();
    await poll(notice).toBe('Auto-sync of customers paused');
    expect((await api('GET', '/intervals')).body.enabled.customers).toBe(false);
    await poll(() => row('customers').locator('.badge').allTextContents()).toEqual([
      'Paused',
      'paused',
    ]);

    await page.getByRole('button', { name: 'Resume customers' }).click();
    await poll(notice).toBe('Auto-sync of customers resumed');
    expect((await api('GET', '/intervals')).body.enabled.customers).toBe(true);
    await poll(() => row('customers').locator('.badge').first().textContent()).toBe('Enabled');
  });

  it('stops and starts auto-sync', async () => {
    await page.getByRole('button', { name: 'Stop auto-sync' }).click();
    await poll(() => page.locator('#auto-state').textContent()).toBe('Stopped');
    expect((await api('GET', '/auto-sync/status')).body.running).toBe(false);
    await page.getByRole('button', { name: 'Start auto-sync' }).click();
    await poll(() => page.locator('#auto-state').textContent()).toBe('Running');
    expect((await api('GET', '/auto-sync/status')).body.running).toBe(true);
  });

  it('runs a type now: one job per whitelisted agent lands in Redis', async () => {
    await page.getByRole('button', { name: 'Run orders now' }).click();
    await poll(notice).toBe('orders: 3 jobs enqueued.');
    const jobs = await queue.getJobs([...PENDING]);
    expect(jobs.map((job) => `${job.name} ${job.data.userId}`).sort()).toEqual([
      'sync-orders a-1',
      'sync-orders a-2',
      'sync-orders a-3',
    ]);
  });

  it('lists the recent changes, newest first: who, what, before and after', async () => {
    const entries = page.locator('#audit-list li');
    const newest = entries.first();
    await poll(() => newest.getAttribute('data-action')).toBe('trigger');
    expect(await newest.locator('.audit-actor').textContent()).toBe('admin-cli');
    expect(await newest.locator('.audit-target').textContent()).toBe('orders');
    expect(await newest.locator('.audit-change').textContent()).toContain('enqueued 3');
    const stop = page.locator('#audit-list li[data-action="auto-sync.stop"]').first();
    expect(await stop.locator('.audit-change').textContent()).toBe('running true → running false');
    const pause = page.locator('#audit-list li[data-action="sync.pause"]').first();
    expect(await pause.locator('.audit-action').textContent()).toBe('paused');
    expect(await pause.locator('.audit-target').textContent()).toBe('customers');
    expect(await entries.count()).toBe(10);
  });

  it('refreshes by itself as workers report, and shows each outcome', async () => {
    // A worker elsewhere: deterministic durations, and one agent's invoices fail.
    worker = new Worker(
      'operations',
      async (job: Job) => {
        await sleep(80 + 40 * AGENTS.findIndex((a) => a.id === job.data.userId));
        // Unrecoverable: failed at once, where a retried attempt would wait out its backoff.
        if (job.name === 'sync-invoices' && job.data.userId === 'a-2') {
          throw new UnrecoverableError(ERP_DOWN);
        }
      },
      { connection: { url: TEST_REDIS_URL }, prefix, concurrency: 4 },
    );
    await poll(() => row('orders').locator('.history .run').count()).toBe(3);
    await clock.advanceAndSettle(0); // every type is due: its first scheduled tick
    // A tick spreads agent jobs over up to a minute (BullMQ delays); promote them, as time would.
    // 3 jobs from "Run now", then 4 agent types x 3 agents + 2 shared jobs from the tick.
    await eventually(async () => {
      const counts = await queue.getJobCounts(...PENDING, 'active', 'completed', 'failed');
      return Object.values(counts).reduce((sum, n) => sum + n, 0) === 3 + 4 * 3 + 2;
    });
    await Promise.all((await queue.getJobs(['delayed'])).map((job) => job.promote()));
    // No click: the page's own 5 s refresh brings the new outcomes in.
    await poll(() => row('invoices').locator('.run-error').allTextContents(), 15_000).toEqual([
      ERP_DOWN,
    ]);
    await poll(() => row('invoices').locator('.badge').allTextContents()).toEqual([
      'Enabled',
      'degraded',
    ]);
    await poll(() => row('prices').locator('.history .run.ok').count()).toBe(1);
    await poll(() => row('orders').locator('.history .run').count()).toBe(5);
    expect(await row('products').locator('td[data-label="Last run"] time').count()).toBe(1);
  }, 60_000);

  it('looks tidy on a laptop (screenshot)', async () => {
    // The README's picture (docs/admin.png) comes from charts-page.test.ts: a day to show.
    const file = `${OUTPUT_DIR}admin-laptop.png`;
    await inPage(page, 'document.activeElement?.blur()');
    await page.screenshot({ path: file, fullPage: true });
  });

  it('turns the table into cards on a phone (screenshot)', async () => {
    const { ctx, p } = await openPage({ width: 390, height: 844 });
    try {
      await p.goto(`${base}/admin`);
      await signIn(p);
      await poll(() => p.locator('#type-rows tr .history .run').count()).toBeGreaterThan(10);
      expect(await inPage(p, 'document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      expect(
        await inPage(p, "getComputedStyle(document.querySelector('#type-rows tr')).display"),
      ).toBe('block');
      await p.screenshot({ path: `${OUTPUT_DIR}admin-phone.png`, fullPage: true });
    } finally {
      await ctx.close();
    }
  });

  it('shows a viewer the same page read-only: no command, and Enter in a field sends nothing', async () => {
    const { ctx, p } = await openPage({ width: 1280, height: 800 });
    const writes: string[] = [];
    p.on('request', (request) => {
      if (request.method() !== 'GET') writes.push(`${request.method()} ${request.url()}`);
    });
    const noCommands = async () => {
      for (const name of [
        'Stop auto-sync',
        'Save interval for orders',
        'Pause orders',
        'Run orders now',
        'Run for this agent',
        'Save multipliers for orders',
        'Save working hours for prices',
        'Clear working hours for prices',
      ]) {
        expect(await p.getByRole('button', { name }).count(), name).toBe(0);
      }
    };
    try {
      await p.goto(`${base}/admin`);
      await signIn(p, await signToken(TEST_JWT_SECRET, { role: 'viewer' }));
      await p.getByText('Signed in as a viewer: this page is read-only.').waitFor();
      await poll(() => p.locator('#type-rows tr .history .run').count()).toBeGreaterThan(10);
      expect(await p.locator('#auto-state').textContent()).toBe('Running');
      await noCommands();
      expect(await p.getByRole('columnheader').count()).toBe(7); // no "Actions"
      const field = p.getByLabel('Interval for orders (minutes)');
      expect(await field.inputValue()).toBe('12');
      expect(await field.getAttribute('readonly')).toBe('');
      await field.press('Enter');
      const idle = p.getByLabel('Idle multiplier for orders');
      expect(await idle.inputValue()).toBe('4');
      expect(await idle.getAttribute('readonly')).toBe('');
      await idle.press('Enter');
      // The hours are shown; their form is a command, so opening them shows none.
      const hours = p.locator('#type-rows tr[data-type="prices"] summary');
      expect(await hours.textContent()).toBe('Hours: Any hour');
      await hours.click();
      expect(await p.getByLabel('Time zone for prices').isVisible()).toBe(false);

      await p.getByRole('tab', { name: 'Agents' }).click();
      await poll(() => p.locator('#agent-rows tr').count()).toBeGreaterThan(0);
      expect(await p.getByRole('button', { name: /^Reset / }).count()).toBe(0);

      // A reload finds the role again before it shows any command.
      await p.reload();
      await p.getByText('Signed in as a viewer: this page is read-only.').waitFor();
      await poll(() => p.locator('#type-rows tr').count()).toBe(6);
      await noCommands();
      expect(writes).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('signs out, forgetting the token', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await inPage(page, 'sessionStorage.length')).toBe(0);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.locator('#dashboard').isHidden()).toBe(true);
  });

  it('used nothing but the service: no other origin, no console error', async () => {
    const origin = new URL(base).origin;
    expect(
      requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:')),
    ).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await context.close();
  });
});
