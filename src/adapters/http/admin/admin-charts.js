// The admin page's pictures: inline SVG drawn here by hand from the admin API's answers, no
// library and nothing from elsewhere. Per sync type a chart of its last hours (GET
// /charts/:type), per agent a strip of its newest outcomes (GET /agents/:userId/outcomes).
// admin.js owns the page; it calls drawCharts on each refresh and outcomeStrip per agent row.

// The SVG namespace as the browser's HTML parser gives it to an <svg> tag: read, not spelled out.
const SVG = new DOMParser().parseFromString('<svg></svg>', 'text/html').body.firstElementChild
  .namespaceURI;
const TYPES = ['orders', 'customers', 'ddt', 'invoices', 'products', 'prices'];
// Slots are one interval (five minutes at least): a read every 30 s is fresh enough.
const CHART_REFRESH_MS = 30_000;
const STRIP_REFRESH_MS = 30_000;
const STRIP_CELLS = 20;

// The chart's drawing box; the SVG scales to its card's width.
const W = 440;
const H = 170;
const PAD = { left: 34, right: 6, top: 10, bottom: 28 };
const PLOT_W = W - PAD.left - PAD.right;
const PLOT_H = H - PAD.top - PAD.bottom;
// A budget this far above the busiest slot would flatten every bar: it is drawn at the top.
const BUDGET_OFF_SCALE = 3;

/** Creates an SVG element; attributes with the value null or undefined are left out. */
function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  element.append(...children);
  return element;
}

/** An HTML element, like admin.js's h(). */
function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined && value !== false) {
      element.setAttribute(name, String(value));
    }
  }
  element.append(...children);
  return element;
}

const round = (n) => Math.round(n * 10) / 10;

function clock(ms, withDay) {
  const date = new Date(ms);
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return withDay
    ? `${date.toLocaleDateString([], { day: 'numeric', month: 'short' })} ${time}`
    : time;
}

function span(ms) {
  const minutes = Math.round(ms / 60_000);
  if (minutes >= 60 && minutes % 60 === 0) return `${minutes / 60} h`;
  if (minutes >= 1) return `${minutes} min`;
  return `${Math.round(ms / 1000)} s`;
}

/** A round number at least `n`, with a little room above it: the top of the scale. */
function niceCeil(n) {
  const room = n * 1.1;
  if (room <= 10) return Math.max(1, Math.ceil(room));
  const power = 10 ** Math.floor(Math.log10(room));
  return [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((m) => m * power).find((m) => m >= room);
}

const sum = (slots, key) => slots.reduce((total, slot) => total + slot[key], 0);
const heldBack = (slot) => slot.skippedBreaker + slot.skippedWindow + slot.deferredBudget;

function slotTitle(slot, slotMs, withDay) {
  const lines = [
    `${clock(slot.start, withDay)}–${clock(slot.start + slotMs, false)}`,
    `released ${slot.released}`,
    `completed ${slot.completed}, failed ${slot.failed}`,
  ];
  if (slot.deduplicated) lines.push(`not added, still pending: ${slot.deduplicated}`);
  if (slot.skippedBreaker) lines.push(`held back by a breaker: ${slot.skippedBreaker}`);
  if (slot.skippedWindow) lines.push(`outside the working hours: ${slot.skippedWindow}`);
  if (slot.deferredBudget) lines.push(`deferred by the budget: ${slot.deferredBudget}`);
  return lines.join('\n');
}

/** The chart of one type from GET /charts/:type: an SVG element, drawn from scratch. */
export function typeChart(data) {
  const { slots, slotMs, budgetPerSlot: budget } = data;
  const withDay = data.hours > 24;
  const step = PLOT_W / Math.max(1, slots.length);
  const busiest = Math.max(
    0,
    ...slots.map((sl) => Math.max(sl.released, sl.completed + sl.failed)),
  );
  const budgetOnScale = budget !== null && (busiest === 0 || budget <= busiest * BUDGET_OFF_SCALE);
  const top = niceCeil(Math.max(busiest, budgetOnScale ? budget : 0));
  const y = (value) => PAD.top + PLOT_H * (1 - Math.min(value, top) / top);
  const x = (i) => PAD.left + i * step;
  const bottom = PAD.top + PLOT_H;

  const released = sum(slots, 'released');
  const completed = sum(slots, 'completed');
  const failed = sum(slots, 'failed');
  const label = [
    `${data.type}, last ${data.hours} h in slots of ${span(slotMs)}:`,
    `${released} released, ${completed} completed, ${failed} failed`,
    budget === null ? 'no release budget' : `budget ${round(budget)} per slot`,
  ].join(' ');

  const svg = s('svg', {
    class: 'chart-svg',
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': label,
    'data-type': data.type,
  });
  svg.append(s('title', {}, label));

  // Axes: the scale's top and zero, and a few times along the bottom.
  svg.append(
    s('line', { class: 'chart-grid', x1: PAD.left, x2: W - PAD.right, y1: PAD.top, y2: PAD.top }),
    s('line', { class: 'chart-axis', x1: PAD.left, x2: W - PAD.right, y1: bottom, y2: bottom }),
    s(
      'text',
      { class: 'chart-tick', x: PAD.left - 6, y: PAD.top + 4, 'text-anchor': 'end' },
      String(top),
    ),
    s('text', { class: 'chart-tick', x: PAD.left - 6, y: bottom, 'text-anchor': 'end' }, '0'),
  );
  const ticks = Math.min(5, slots.length);
  for (let t = 0; t < ticks; t++) {
    const i = Math.round((t * (slots.length - 1)) / Math.max(1, ticks - 1));
    const anchor = t === 0 ? 'start' : t === ticks - 1 ? 'end' : 'middle';
    svg.append(
      s(
        'text',
        { class: 'chart-tick', x: x(i) + step / 2, y: H - 8, 'text-anchor': anchor },
        clock(slots[i].start, withDay),
      ),
    );
  }

  // Before historyFrom retention may have removed rows: say so rather than draw a quiet night.
  if (data.historyFrom !== null && data.historyFrom > data.from) {
    const width = Math.min(PLOT_W, ((data.historyFrom - data.from) / slotMs) * step);
    svg.append(
      s(
        'rect',
        { class: 'chart-pruned', x: PAD.left, y: PAD.top, width, height: PLOT_H },
        s('title', {}, `Before ${clock(data.historyFrom, true)} the history was pruned`),
      ),
    );
    if (width > 90) {
      svg.append(
        s('text', { class: 'chart-pruned-label', x: PAD.left + 6, y: PAD.top + 16 }, 'pruned'),
      );
    }
  }

  // Bars: what finished in each slot, completed below failed.
  const barWidth = Math.max(1, step * 0.7);
  slots.forEach((slot, i) => {
    const bx = x(i) + (step - barWidth) / 2;
    if (slot.completed > 0) {
      svg.append(
        s('rect', {
          class: 'bar bar-completed',
          x: bx,
          y: y(slot.completed),
          width: barWidth,
          height: bottom - y(slot.completed),
          'data-start': slot.start,
        }),
      );
    }
    if (slot.failed > 0) {
      const total = slot.completed + slot.failed;
      svg.append(
        s('rect', {
          class: 'bar bar-failed',
          x: bx,
          y: y(total),
          width: barWidth,
          height: y(slot.completed) - y(total),
          'data-start': slot.start,
        }),
      );
    }
    if (heldBack(slot) > 0) {
      svg.append(
        s('rect', { class: 'chart-held', x: bx, y: bottom + 2, width: barWidth, height: 4 }),
      );
    }
  });

  // Released: a step line, one level per slot; left out while nothing recorded any.
  if (released > 0) {
    const path = slots
      .map(
        (slot, i) =>
          `${i === 0 ? 'M' : 'L'}${round(x(i))},${round(y(slot.released))}H${round(x(i + 1))}`,
      )
      .join('');
    svg.append(s('path', { class: 'chart-released', d: path }));
  }

  // The most the release budget lets out per slot.
  if (budget !== null) {
    const by = budgetOnScale ? y(budget) : PAD.top;
    svg.append(
      s(
        'line',
        {
          class: `chart-budget${budgetOnScale ? '' : ' off-scale'}`,
          x1: PAD.left,
          x2: W - PAD.right,
          y1: by,
          y2: by,
          'data-budget': budget,
        },
        s('title', {}, `Release budget: at most ${round(budget)} jobs per slot`),
      ),
      s(
        'text',
        { class: 'chart-budget-label', x: W - PAD.right - 4, y: by - 4, 'text-anchor': 'end' },
        budgetOnScale ? `budget ${round(budget)}` : `budget ${round(budget)} ↑`,
      ),
    );
  }

  // Last, so that hovering anywhere in a slot's column shows its figures.
  slots.forEach((slot, i) => {
    svg.append(
      s(
        'rect',
        {
          class: 'chart-slot',
          x: x(i),
          y: PAD.top,
          width: step,
          height: PLOT_H + 8,
          'data-start': slot.start,
        },
        s('title', {}, slotTitle(slot, slotMs, withDay)),
      ),
    );
  });
  return svg;
}

function legend(data) {
  const { slots } = data;
  const item = (kind, text) =>
    el(
      'span',
      { class: `legend legend-${kind}` },
      el('span', { class: 'swatch', 'aria-hidden': 'true' }),
      text,
    );
  const released = sum(slots, 'released');
  const held = slots.reduce((total, slot) => total + heldBack(slot), 0);
  const items = [
    item('released', released > 0 ? `${released} released` : 'no release recorded'),
    item('completed', `${sum(slots, 'completed')} completed`),
    item('failed', `${sum(slots, 'failed')} failed`),
  ];
  if (held > 0) items.push(item('held', `${held} held back`));
  if (data.budgetPerSlot !== null)
    items.push(item('budget', `budget ${round(data.budgetPerSlot)} per slot`));
  return items;
}

function note(data) {
  const parts = [`slots of ${span(data.slotMs)} (interval ${data.intervalMinutes} min)`];
  if (data.budgetPerSlot === null) parts.push('no per-minute budget');
  if (data.maxInFlight !== null) parts.push(`at most ${data.maxInFlight} in flight`);
  if (data.historyFrom !== null) parts.push(`history kept since ${clock(data.historyFrom, true)}`);
  return parts.join(' · ');
}

// ------------------------------------------------------------------------ chart cards

const cards = new Map();
let chartsReadAt = 0;
let chartsReading = false;
let chartApi;

function cardOf(container, type) {
  let card = cards.get(type);
  if (card && card.figure.isConnected) return card;
  const caption = el('figcaption', {}, el('span', { class: 'type-name' }, type));
  const legendLine = el('p', { class: 'chart-legend' });
  const body = el('div', { class: 'chart-body' }, el('p', { class: 'muted' }, 'Loading…'));
  const noteLine = el('p', { class: 'hint chart-note' });
  const figure = el(
    'figure',
    { class: 'chart card', 'data-type': type },
    caption,
    legendLine,
    body,
    noteLine,
  );
  container.append(figure);
  card = { figure, legendLine, body, noteLine, key: '' };
  cards.set(type, card);
  return card;
}

function drawCard(card, result) {
  const key = JSON.stringify(result);
  if (card.key === key) return; // Unchanged: keep the tooltip under the pointer.
  card.key = key;
  if (result.error) {
    card.body.replaceChildren(
      el('p', { class: 'field-error' }, `Could not read the chart: ${result.error}`),
    );
    card.legendLine.replaceChildren();
    card.noteLine.textContent = '';
    return;
  }
  card.body.replaceChildren(typeChart(result));
  card.legendLine.replaceChildren(...legend(result));
  card.noteLine.textContent = note(result);
}

const hoursSelect = () => document.getElementById('chart-hours');

/**
 * Reads and draws every type's chart into #charts, at most every CHART_REFRESH_MS unless
 * `force`; `api(method, path)` is admin.js's call (it throws the server's refusal).
 */
export async function drawCharts(api, { force = false } = {}) {
  const container = document.getElementById('charts');
  if (!container) return;
  chartApi = api;
  if (chartsReading || (!force && Date.now() - chartsReadAt < CHART_REFRESH_MS)) return;
  chartsReading = true;
  const hours = Number(hoursSelect()?.value ?? 24);
  try {
    const results = await Promise.all(
      TYPES.map((type) =>
        api('GET', `/charts/${encodeURIComponent(type)}?hours=${hours}`).catch((error) => ({
          error: error.message,
        })),
      ),
    );
    TYPES.forEach((type, i) => drawCard(cardOf(container, type), results[i]));
    container.dataset.hours = String(hours);
    chartsReadAt = Date.now();
  } finally {
    chartsReading = false;
  }
}

hoursSelect()?.addEventListener('change', () => {
  if (chartApi) void drawCharts(chartApi, { force: true });
});

// ----------------------------------------------------------------------- agent strips

/** Per agent: the outcomes last read and when; strips of the same agent share them. */
const stripData = new Map();
const visibleStrips = new Set();
let stripApi;

/** Reads a strip when its row comes into view, a little ahead of the scroll. */
function onIntersect(entries) {
  for (const entry of entries) {
    if (entry.isIntersecting) {
      visibleStrips.add(entry.target);
      void loadStrip(entry.target);
    } else {
      visibleStrips.delete(entry.target);
    }
  }
}

const observer =
  typeof IntersectionObserver === 'function'
    ? new IntersectionObserver(onIntersect, { rootMargin: '400px 0px' })
    : null;

function outcomeTitle(outcome) {
  const when = new Date(outcome.finishedAt);
  const time = when.toLocaleString([], {
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const what = outcome.success ? 'completed' : `failed: ${outcome.error ?? 'no reason given'}`;
  return `${outcome.type} · ${time} · ${what}`;
}

/** Newest on the right, like a timeline; one cell per outcome, coloured by its result. */
export function stripSvg(userId, outcomes) {
  const cell = 10;
  const gap = 2;
  const shown = outcomes.slice(0, STRIP_CELLS).reverse();
  const failed = shown.filter((o) => !o.success).length;
  const label = `Newest outcomes of ${userId}: ${shown.length - failed} completed, ${failed} failed`;
  const svg = s('svg', {
    class: 'strip-svg',
    viewBox: `0 0 ${STRIP_CELLS * (cell + gap)} ${cell + 2}`,
    width: STRIP_CELLS * (cell + gap),
    height: cell + 2,
    role: 'img',
    'aria-label': label,
  });
  const offset = (STRIP_CELLS - shown.length) * (cell + gap);
  shown.forEach((outcome, i) => {
    svg.append(
      s(
        'rect',
        {
          class: `cell ${outcome.success ? 'cell-ok' : 'cell-failed'}`,
          x: offset + i * (cell + gap),
          y: 1,
          width: cell,
          height: cell,
          rx: 2,
          'data-type': outcome.type,
        },
        s('title', {}, outcomeTitle(outcome)),
      ),
    );
  });
  return svg;
}

function drawStrip(holder, entry) {
  const key = entry.error ?? JSON.stringify(entry.outcomes);
  if (holder.dataset.key === key) return;
  holder.dataset.key = key;
  if (entry.error) {
    holder.replaceChildren(el('span', { class: 'muted' }, 'outcomes unavailable'));
    holder.title = entry.error;
  } else if (entry.outcomes.length === 0) {
    holder.replaceChildren(el('span', { class: 'muted' }, 'no outcome kept'));
  } else {
    holder.replaceChildren(stripSvg(holder.dataset.agent, entry.outcomes));
  }
}

async function loadStrip(holder, force = false) {
  const userId = holder.dataset.agent;
  const entry = stripData.get(userId);
  if (entry) drawStrip(holder, entry);
  if (!stripApi || entry?.reading) return;
  if (entry && !force && Date.now() - entry.at < STRIP_REFRESH_MS) return;
  const reading = { ...(entry ?? { outcomes: [] }), reading: true };
  stripData.set(userId, reading);
  let next;
  try {
    const data = await stripApi(
      'GET',
      `/agents/${encodeURIComponent(userId)}/outcomes?limit=${STRIP_CELLS}`,
    );
    next = { at: Date.now(), outcomes: data.outcomes };
  } catch (error) {
    next = { at: Date.now(), outcomes: [], error: error.message };
  }
  stripData.set(userId, next);
  for (const strip of visibleStrips) {
    if (strip.dataset.agent === userId && strip.isConnected) drawStrip(strip, next);
  }
  if (holder.isConnected) drawStrip(holder, next);
}

/**
 * A placeholder for one agent's strip: read when it scrolls into view (a long list costs only
 * the rows on screen), drawn from what was read before at once.
 */
export function outcomeStrip(userId, api) {
  stripApi = api;
  const holder = el('span', { class: 'strip', 'data-agent': userId });
  const entry = stripData.get(userId);
  if (entry) drawStrip(holder, entry);
  if (observer) observer.observe(holder);
  else void loadStrip(holder);
  return holder;
}

/** Rereads the strips on screen whose outcomes are older than STRIP_REFRESH_MS. */
export function refreshOutcomeStrips() {
  for (const strip of [...visibleStrips]) {
    if (!strip.isConnected) {
      visibleStrips.delete(strip);
      observer?.unobserve(strip);
      continue;
    }
    void loadStrip(strip);
  }
}
