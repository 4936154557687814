import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSED_ERP_BREAKER, type ErpBreakerState } from '../../src/domain/breakers.js';
import { SERVICE_ACCOUNT } from '../../src/domain/sync-types.js';
import { aPair } from '../support/pair-state.js';
import { startApp, type App } from '../unit/http/harness.js';
import { CHROMIUM, CHROMIUM_ARGS, HAS_CHROMIUM, OUTPUT_DIR } from '../support/chromium.js';

/*
 * The dashboard's Agents view in headless Chromium: the HTTP app on the real application module
 * over the in-memory adapters (the HTTP tests' harness), the real InMemoryAgentStateStore
 * seeded by the test.
 */

const MINUTE = 60_000;
const REASON = 'ERP login refused: password expired';

const poll = <T>(read: () => Promise<T> | T, timeout = 10_000) =>
  expect.poll(read, { timeout, interval: 100 });

/**
 * a-open: orders breaker open after three failures (the newest, 5 min ago); a-stale: ddt has
 * not succeeded for 3 h (interval 20 min) and failed 2 h ago; a-healthy: every type fine.
 */
function rowsAt(now: number) {
  const recent = { lastCompletedAt: now - 2 * MINUTE, lastEnqueuedAt: now - 3 * MINUTE };
  return [
    aPair('orders', 'a-open', {
      breaker: 'open',
      lastCompletedAt: now - 15 * MINUTE,
      lastFailedAt: now - 5 * MINUTE,
      lastFailureReason: REASON,
      consecutiveFailures: 3,
      recentFailures: [now - 25 * MINUTE, now - 15 * MINUTE, now - 5 * MINUTE],
      openUntil: now + 115 * MINUTE,
    }),
    aPair('customers', 'a-open', recent),
    aPair('ddt', 'a-stale', {
      lastCompletedAt: now - 180 * MINUTE,
      lastFailedAt: now - 120 * MINUTE,
      lastFailureReason: 'ERP timed out after 30 s',
      consecutiveFailures: 1,
      recentFailures: [now - 120 * MINUTE],
    }),
    aPair('orders', 'a-stale', recent),
    aPair('orders', 'a-healthy', recent),
    aPair('customers', 'a-healthy', recent),
    aPair('products', SERVICE_ACCOUNT, recent),
    aPair('prices', SERVICE_ACCOUNT, recent),
  ];
}

const erpOpenAt = (now: number): ErpBreakerState => ({
  state: 'open',
  since: now - 2 * MINUTE,
  openUntil: now + 3 * MINUTE,
  window: Array.from({ length: 40 }, (_, i) => ({ at: now - i * 1000, success: i % 4 === 0 })),
  probe: null,
});

if (!HAS_CHROMIUM) {
  describe('agents view in headless Chromium', () => {
    it.skip(`needs a browser at ${CHROMIUM}: run scripts/install-browser.sh as root`, () => {});
  });
}

describe.skipIf(!HAS_CHROMIUM)('agents view in headless Chromium', () => {
  let app: App;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const consoleErrors: string[] = [];

  const agentNames = () => page.locator('#agent-rows tr th').allInnerTexts();
  const agentRow = (userId: string) => page.locator(`#agent-rows tr[data-agent="${userId}"]`);
  const refresh = () => page.locator('#agents-refresh').click();

  beforeAll(async () => {
    const now = Date.now();
    // The clock starts at the browser's now, so "5 minutes ago" reads the same on both sides.
    app = await startApp({ clockStart: now });
    app.agentState.seed(rowsAt(now));
    app.agentState.seedErp(erpOpenAt(now));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      locale: 'en-GB',
      timezoneId: 'UTC',
    });
    context.setDefaultTimeout(5_000);
    page = await context.newPage();
    page.on('request', (request) => requests.push(`${request.method()} ${request.url()}`));
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        consoleErrors.push(message.text());
      }
    });
    mkdirSync(OUTPUT_DIR, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('shows the open ERP breaker at the top of the page once signed in', async () => {
    await page.goto(`${app.base}/admin`);
    await page.getByLabel('Admin token').fill(app.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const banner = page.locator('#erp-banner');
    await banner.waitFor({ state: 'visible' });
    expect(await page.locator('#erp-title').textContent()).toMatch(/^ERP breaker open since /);
    expect(await page.locator('#erp-detail').textContent()).toContain(
      'No sync is sent to the ERP while it is open.',
    );
    expect(await page.locator('#erp-detail').textContent()).toContain(
      '30 of the last 40 outcomes failed.',
    );
    // The sync types view is the default, and the agents view is not in the page's tree yet.
    expect(await page.getByRole('tab', { name: 'Sync types' }).getAttribute('aria-selected')).toBe(
      'true',
    );
    expect(await page.locator('#view-agents').isHidden()).toBe(true);
  });

  it('lists the agents newest failure first, with each type, its breaker and its reason', async () => {
    await page.getByRole('tab', { name: 'Agents' }).click();
    await poll(agentNames).toEqual(['a-open', 'a-stale', 'a-healthy', SERVICE_ACCOUNT]);
    expect(await page.locator('#view-types').isHidden()).toBe(true);
    const orders = agentRow('a-open').locator('.pair[data-type="orders"]');
    expect(await orders.locator('.badge').first().textContent()).toBe('open');
    expect(await orders.locator('.pair-reason').textContent()).toBe(REASON);
    expect(await orders.locator('.pair-success').textContent()).toBe('last success 15 minutes ago');
    expect(await orders.locator('.pair-failures').textContent()).toBe('3 failures in a row');
    expect(
      await agentRow('a-open').locator('.pair[data-type="customers"] .badge').allTextContents(),
    ).toEqual(['closed']);
    expect(
      await agentRow('a-stale').locator('.pair[data-type="ddt"] .badge').allTextContents(),
    ).toEqual(['closed', 'stale']);
    expect(await agentRow('a-healthy').locator('.pair-reason').count()).toBe(0);
    expect(
      await agentRow('a-healthy').locator('td[data-label="Newest failure"]').textContent(),
    ).toBe('never');
  });

  it('names every control, and every header has a scope', async () => {
    const tree = await page.locator('body').ariaSnapshot();
    const controls = tree
      .split('\n')
      .filter((line) => /- (button|textbox|spinbutton|combobox|tab)\b/.test(line));
    expect(controls.filter((line) => !/- \w+ "[^"]+"/.test(line))).toEqual([]);
    expect(tree).toContain('combobox "Show"');
    expect(tree).toContain('button "Reset a-open"');
    expect(await page.getByRole('columnheader').count()).toBe(5);
    expect(await page.locator('th:not([scope])').count()).toBe(0);
  });

  it('narrows the list to open breakers, then to stale agents, through the API', async () => {
    const filter = page.getByLabel('Show');
    await filter.selectOption('open');
    await poll(agentNames).toEqual(['a-open']);
    expect(requests.some((r) => r.includes('/api/sync/agents?limit=500&state=open'))).toBe(true);
    await filter.selectOption('stale');
    await poll(agentNames).toEqual(['a-stale']);
    expect(await agentRow('a-stale').locator('.pair').count()).toBe(1);
    await filter.selectOption('');
    await poll(agentNames).toEqual(['a-open', 'a-stale', 'a-healthy', SERVICE_ACCOUNT]);
  });

  it('looks right on a laptop (screenshot)', async () => {
    await page.evaluate('document.activeElement?.blur()');
    await page.screenshot({ path: `${OUTPUT_DIR}agents.png`, fullPage: true });
  });

  it('turns the agents into cards on a phone (screenshot)', async () => {
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      locale: 'en-GB',
      timezoneId: 'UTC',
    });
    try {
      const p = await phone.newPage();
      await p.goto(`${app.base}/admin`);
      await p.getByLabel('Admin token').fill(app.adminToken);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('tab', { name: 'Agents' }).click();
      await poll(() => p.locator('#agent-rows tr').count()).toBe(4);
      expect(await p.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await p.screenshot({ path: `${OUTPUT_DIR}agents-phone.png`, fullPage: true });
    } finally {
      await phone.close();
    }
  });

  it('resets one agent: the API closes its breaker and the row shows closed', async () => {
    await page.getByRole('button', { name: 'Reset a-open' }).click();
    await poll(() => page.locator('#notice').textContent()).toBe(
      'a-open: breakers closed (1 row changed).',
    );
    expect(requests).toContain(`POST ${app.base}/api/sync/agents/a-open/reset`);
    // The store closed a-open's breaker and only a-open's: a-stale keeps its failure count.
    expect((await app.agentState.agent('a-open')).find((r) => r.type === 'orders')).toMatchObject({
      breaker: 'closed',
      consecutiveFailures: 0,
      recentFailures: [],
      openUntil: null,
    });
    expect((await app.agentState.agent('a-stale')).find((r) => r.type === 'ddt')).toMatchObject({
      consecutiveFailures: 1,
      recentFailures: [expect.any(Number)],
    });
    const orders = agentRow('a-open').locator('.pair[data-type="orders"]');
    await poll(() => orders.locator('.badge').first().textContent()).toBe('closed');
    // The last failure and its reason stay: history, not breaker state.
    expect(await orders.locator('.pair-reason').textContent()).toBe(REASON);
    await page.getByLabel('Show').selectOption('open');
    await poll(() => page.locator('#agents-empty').textContent()).toBe(
      'No agent has an open breaker.',
    );
    await page.getByLabel('Show').selectOption('');
    await poll(agentNames).toEqual(['a-open', 'a-stale', 'a-healthy', SERVICE_ACCOUNT]);
  });

  it("shows the server's refusal word for word: a replica that is shutting down", async () => {
    // A second replica, draining: it still serves reads but refuses every write.
    const now = Date.now();
    const draining = await startApp({ clockStart: now, draining: true });
    draining.agentState.seed(rowsAt(now));
    const other = await browser.newContext({ locale: 'en-GB', timezoneId: 'UTC' });
    try {
      const p = await other.newPage();
      await p.goto(`${draining.base}/admin`);
      await p.getByLabel('Admin token').fill(draining.adminToken);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('tab', { name: 'Agents' }).click();
      const orders = p.locator('#agent-rows tr[data-agent="a-open"] .pair[data-type="orders"]');
      await poll(() => orders.locator('.badge').first().textContent()).toBe('open');

      const direct = await draining.call('POST', '/api/sync/agents/a-open/reset');
      expect(direct.status).toBe(503);
      expect(direct.body.error).toBe('The service is shutting down: nothing was changed; retry.');
      // The read the page makes once the refusal is shown.
      let refused = false;
      p.on('response', (r) => (refused ||= r.request().method() === 'POST'));
      const refreshed = p.waitForResponse(
        (r) => refused && r.request().method() === 'GET' && r.url().includes('/api/sync/agents?'),
      );
      await p.getByRole('button', { name: 'Reset a-open' }).click();
      await poll(() => p.locator('#alert').textContent()).toBe(direct.body.error);
      // The refresh after the refusal keeps the alert and shows the breaker still open.
      expect((await refreshed).status()).toBe(200);
      await poll(() => p.locator('#alert').textContent()).toBe(direct.body.error);
      expect(await orders.locator('.badge').first().textContent()).toBe('open');
      expect((await draining.agentState.agent('a-open')).find((r) => r.type === 'orders')).toEqual(
        rowsAt(now)[0],
      );
    } finally {
      await other.close();
      await draining.close();
    }
  });

  it('takes the ERP banner away once the breaker is closed, and shows half open', async () => {
    app.agentState.seedErp({ ...erpOpenAt(Date.now()), state: 'half_open', openUntil: null });
    await refresh();
    await poll(() => page.locator('#erp-title').textContent()).toMatch(
      /^ERP breaker half open since /,
    );
    app.agentState.seedErp(CLOSED_ERP_BREAKER);
    await refresh();
    await poll(() => page.locator('#erp-banner').isHidden()).toBe(true);
    expect(await page.getByRole('heading', { name: /ERP breaker/ }).count()).toBe(0);
  });

  it('used nothing but the service, with no console error', async () => {
    const origin = new URL(app.base).origin;
    const elsewhere = requests.filter(
      (r) => !r.split(' ')[1]?.startsWith(`${origin}/`) && !r.includes(' data:'),
    );
    expect(elsewhere).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await context.close();
  });
});
