// The admin page: plain browser JavaScript, no framework, no build step, nothing from elsewhere.
// Every action is one call to the admin API and every figure comes from its answers; the page
// keeps no state of its own beyond the token (session storage) and the fields being edited.

// The charts and the agents' outcome strips: drawn in their own module (inline SVG).
import { drawCharts, outcomeStrip, refreshOutcomeStrips } from './admin-charts.js';

const API = '/api/sync';
const TOKEN_KEY = 'sync-scheduler:admin-token';
const REFRESH_MS = 5000;
const HISTORY_SHOWN = 5;
// The API's bounds (src/domain/interval.ts), checked here too so a typo costs no round trip.
const MIN_MINUTES = 5;
const MAX_MINUTES = 1440;
const QUEUE_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'];
const TYPE_ORDER = ['orders', 'customers', 'ddt', 'invoices', 'products', 'prices'];
// The agents view reads every page of rows up to this many (the API serves at most 500 a page).
const AGENT_PAGE = 500;
const AGENT_PAGES_MAX = 4;

const byId = (id) => document.getElementById(id);
const ui = {
  main: byId('main'),
  notice: byId('notice'),
  alert: byId('alert'),
  signIn: byId('sign-in'),
  signInForm: byId('sign-in-form'),
  token: byId('token'),
  tokenError: byId('token-error'),
  signOut: byId('sign-out'),
  dashboard: byId('dashboard'),
  autoState: byId('auto-state'),
  autoToggle: byId('auto-toggle'),
  queueCounts: byId('queue-counts'),
  leaderState: byId('leader-state'),
  replicaId: byId('replica-id'),
  updated: byId('updated'),
  refresh: byId('refresh'),
  rows: byId('type-rows'),
  runAgentForm: byId('run-agent-form'),
  runAgentType: byId('run-agent-type'),
  runAgentId: byId('run-agent-id'),
  runAgentError: byId('run-agent-error'),
  erpBanner: byId('erp-banner'),
  erpTitle: byId('erp-title'),
  erpDetail: byId('erp-detail'),
  tabs: [byId('tab-types'), byId('tab-agents')],
  views: { types: byId('view-types'), agents: byId('view-agents') },
  agentFilter: byId('agent-filter'),
  agentsUpdated: byId('agents-updated'),
  agentsRefresh: byId('agents-refresh'),
  agentsEmpty: byId('agents-empty'),
  agentsTable: byId('agents-table'),
  agentRows: byId('agent-rows'),
  agentsMore: byId('agents-more'),
  readOnly: byId('read-only'),
  auditList: byId('audit-list'),
  auditEmpty: byId('audit-empty'),
};

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const token = () => sessionStorage.getItem(TOKEN_KEY);

/** One call to the admin API; a refusal becomes an ApiError carrying the server's own message. */
async function api(method, path, body) {
  const headers = { Accept: 'application/json', Authorization: `Bearer ${token() ?? ''}` };
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(API + path, init);
  } catch {
    throw new ApiError(0, 'The service could not be reached.');
  }
  const data = await response.json().catch(() => null);
  if (response.ok && data?.success === true) return data;
  const fallback = `The service answered ${response.status} ${response.statusText}`.trim() + '.';
  throw new ApiError(response.status, typeof data?.error === 'string' ? data.error : fallback);
}

// ---------------------------------------------------------------------------- small helpers

/** Creates an element; attributes with the value false or null are left out. */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...children);
  return element;
}

function notify(message) {
  // Emptied first, so the same sentence twice is announced twice.
  ui.notice.textContent = '';
  requestAnimationFrame(() => (ui.notice.textContent = message));
}

function showAlert(message, source = 'action') {
  ui.alert.textContent = message;
  ui.alert.dataset.source = source;
}

function clearAlert(source) {
  if (source && ui.alert.dataset.source !== source) return;
  ui.alert.textContent = '';
  delete ui.alert.dataset.source;
}

function setFieldError(input, output, message) {
  output.textContent = message;
  if (message) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

const isAuthError = (error) =>
  error instanceof ApiError && (error.status === 401 || error.status === 403);

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

function formatTime(iso) {
  const date = new Date(iso);
  const today = date.toDateString() === new Date().toDateString();
  return today
    ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })
    : date.toLocaleString([], {
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
      });
}

const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

function formatRelative(iso) {
  const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000);
  const steps = [
    [60, 1, 'second'],
    [3600, 60, 'minute'],
    [86400, 3600, 'hour'],
  ];
  for (const [below, unit, name] of steps) {
    if (Math.abs(seconds) < below) return relativeFormat.format(Math.round(seconds / unit), name);
  }
  return relativeFormat.format(Math.round(seconds / 86400), 'day');
}

function formatDuration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A time cell: the clock time, and how far away it is. */
function renderTime(cell, iso, empty) {
  if (!iso) {
    cell.replaceChildren(h('span', { class: 'muted' }, empty));
    return;
  }
  cell.replaceChildren(
    h(
      'div',
      { class: 'when' },
      h('time', { datetime: iso, title: new Date(iso).toString() }, formatTime(iso)),
      h('span', { class: 'relative' }, formatRelative(iso)),
    ),
  );
}

// ------------------------------------------------------------------------------- actions

/**
 * Runs one action from a button: one at a time per button (aria-disabled rather than
 * disabled, so keyboard focus stays put), errors shown where they belong, then a fresh read.
 */
async function act(button, work, showError = showAlert) {
  if (button.getAttribute('aria-disabled') === 'true') return;
  button.setAttribute('aria-disabled', 'true');
  clearAlert();
  try {
    await work();
  } catch (error) {
    if (isAuthError(error)) {
      signOut(`Signed out: ${error.message}`);
      return;
    }
    showError(error.message);
  } finally {
    button.removeAttribute('aria-disabled');
  }
  await refreshNow();
}

function triggerMessage(result, userId) {
  const who = userId ? ` for ${userId}` : '';
  const pending = result.deduplicated ? `, ${result.deduplicated} already pending` : '';
  return `${result.type}${who}: ${plural(result.enqueued, 'job')} enqueued${pending}.`;
}

function checkInterval(text) {
  const value = text.trim();
  const minutes = Number(value);
  if (!/^\d+$/.test(value) || minutes < MIN_MINUTES || minutes > MAX_MINUTES) {
    return `Enter a whole number of minutes from ${MIN_MINUTES} to ${MAX_MINUTES}.`;
  }
  return '';
}

// ---------------------------------------------------------------------------- type rows

const rows = new Map();

function addRow(type) {
  const id = (part) => `${part}-${type}`;
  const cell = (label, ...children) => h('td', { 'data-label': label }, ...children);

  const running = h('span', { class: 'running', hidden: true }, 'running');
  const input = h('input', {
    id: id('interval'),
    class: 'interval-input',
    type: 'number',
    min: MIN_MINUTES,
    max: MAX_MINUTES,
    step: 1,
    inputmode: 'numeric',
    required: true,
    readonly: role !== 'admin',
    'aria-describedby': id('interval-error'),
  });
  const save = h(
    'button',
    { class: 'button small', type: 'submit', 'aria-label': `Save interval for ${type}` },
    'Save',
  );
  const intervalError = h('p', { id: id('interval-error'), class: 'field-error', role: 'alert' });
  const form = h(
    'form',
    { class: 'interval-form', novalidate: true },
    h('label', { for: input.id, class: 'visually-hidden' }, `Interval for ${type} (minutes)`),
    input,
    h('span', { class: 'unit', 'aria-hidden': 'true' }, 'min'),
    save,
  );
  const state = h('span', { class: 'badge' });
  const lastRun = cell('Last run');
  const nextRun = cell('Next run');
  const health = h('span', { class: 'badge' });
  const history = h('ol', { class: 'history', 'aria-label': `Recent runs of ${type}` });
  const toggle = h('button', { class: 'button secondary small', type: 'button' });
  const run = h(
    'button',
    { class: 'button small', type: 'button', 'aria-label': `Run ${type} now` },
    'Run now',
  );

  const row = h(
    'tr',
    { 'data-type': type },
    h('th', { scope: 'row' }, h('span', { class: 'type-name' }, type), running),
    cell('Interval', h('div', { class: 'interval-cell' }, form, intervalError)),
    cell('State', state),
    lastRun,
    nextRun,
    cell('Health', health),
    cell('Recent runs', history),
    cell('Actions', h('div', { class: 'actions' }, toggle, run)),
  );
  ui.rows.append(row);
  ui.runAgentType.append(h('option', { value: type }, type));

  // An edited field is never overwritten by the refresh; Escape puts the saved value back.
  input.addEventListener('input', () => {
    input.dataset.dirty = 'true';
    setFieldError(input, intervalError, '');
  });
  input.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    input.value = input.dataset.saved ?? '';
    delete input.dataset.dirty;
    setFieldError(input, intervalError, '');
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const problem = checkInterval(input.value);
    setFieldError(input, intervalError, problem);
    if (problem) {
      input.focus();
      return;
    }
    void act(
      save,
      async () => {
        const result = await api('POST', `/intervals/${encodeURIComponent(type)}`, {
          intervalMinutes: Number(input.value.trim()),
        });
        delete input.dataset.dirty;
        input.dataset.saved = String(result.intervalMinutes);
        notify(result.message);
      },
      (message) => setFieldError(input, intervalError, message),
    );
  });
  toggle.addEventListener('click', () =>
    act(toggle, async () => {
      const result = await api('POST', `/${toggle.dataset.action}/${encodeURIComponent(type)}`);
      setEnabled(result.enabled);
      notify(result.message);
    }),
  );
  run.addEventListener('click', () =>
    act(run, async () => {
      notify(triggerMessage(await api('POST', `/trigger/${encodeURIComponent(type)}`)));
    }),
  );

  function setEnabled(enabled) {
    state.textContent = enabled ? 'Enabled' : 'Paused';
    state.className = `badge ${enabled ? 'state-enabled' : 'state-paused'}`;
    toggle.textContent = enabled ? 'Pause' : 'Resume';
    toggle.dataset.action = enabled ? 'pause' : 'resume';
    toggle.setAttribute('aria-label', `${enabled ? 'Pause' : 'Resume'} ${type}`);
  }

  function update(status, isCurrent) {
    running.hidden = !(status.isRunning || isCurrent);
    input.dataset.saved = String(status.intervalMinutes);
    if (document.activeElement !== input && !input.dataset.dirty) {
      input.value = String(status.intervalMinutes);
    }
    setEnabled(status.enabled);
    renderTime(lastRun, status.lastRunTime, 'never');
    renderTime(nextRun, status.enabled ? status.nextRunTime : null, '—');
    health.textContent = status.health;
    health.className = `badge health-${status.health}`;
    renderHistory(history, status.history.slice(0, HISTORY_SHOWN));
  }

  const entry = { update };
  rows.set(type, entry);
  return entry;
}

function renderHistory(list, history) {
  const key = JSON.stringify(history);
  if (list.dataset.key === key) return; // Unchanged: no churn for screen readers.
  list.dataset.key = key;
  if (history.length === 0) {
    list.replaceChildren(h('li', { class: 'muted' }, 'No runs yet'));
    return;
  }
  list.replaceChildren(
    ...history.map((run) =>
      h(
        'li',
        { class: run.success ? 'run ok' : 'run failed' },
        h('span', { class: 'run-outcome' }, run.success ? 'OK' : 'Failed'),
        h('span', { class: 'run-duration' }, formatDuration(run.duration)),
        h(
          'time',
          { datetime: run.timestamp, title: new Date(run.timestamp).toString() },
          formatTime(run.timestamp),
        ),
        run.error ? h('span', { class: 'run-error', title: run.error }, run.error) : '',
      ),
    ),
  );
}

// ------------------------------------------------------------------------------- overview

function renderAutoSync(running) {
  ui.autoState.textContent = running ? 'Running' : 'Stopped';
  ui.autoState.className = `badge ${running ? 'state-enabled' : 'state-stopped'}`;
  ui.autoToggle.textContent = running ? 'Stop auto-sync' : 'Start auto-sync';
  ui.autoToggle.dataset.running = String(running);
}

function renderQueue(queue, activeJobs) {
  ui.queueCounts.replaceChildren(
    ...QUEUE_STATES.map((name) =>
      h(
        'div',
        { class: `count count-${name}` },
        h('dt', {}, name),
        h('dd', {}, String(queue[name] ?? 0)),
      ),
    ),
  );
  ui.queueCounts.title = activeJobs.length
    ? `Running now: ${activeJobs.map((job) => `${job.type} for ${job.userId}`).join(', ')}`
    : '';
}

function renderLeader(leader) {
  ui.leaderState.textContent = leader.isLeader ? 'Leader' : 'Not the leader';
  ui.leaderState.className = `badge ${leader.isLeader ? 'state-enabled' : 'state-stopped'}`;
  ui.replicaId.textContent = leader.replicaId;
}

function render(data) {
  intervalMinutes = Object.fromEntries(
    Object.entries(data.types).map(([type, status]) => [type, status.intervalMinutes]),
  );
  renderAutoSync(data.scheduler.running);
  renderQueue(data.queue, data.activeJobs);
  renderLeader(data.leader);
  for (const [type, status] of Object.entries(data.types)) {
    (rows.get(type) ?? addRow(type)).update(status, data.currentSync === type);
  }
  const now = new Date().toISOString();
  ui.updated.dateTime = now;
  ui.updated.textContent = formatTime(now);
}

// ----------------------------------------------- tier multipliers and working hours (per type)
// Mounted into each type row's interval cell once GET /intervals has answered; kept apart from
// addRow so that the row itself stays as it was.

// The API's bounds (src/domain/activity.ts), checked here too.
const MIN_MULTIPLIER = 0;
const MAX_MULTIPLIER = 100;
const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const HH_MM = /^(?:[01]\d|2[0-3]):[0-5]\d$/;
const DEFAULT_WINDOW = { from: '07:00', to: '20:00', days: [1, 2, 3, 4, 5] };
const typeExtras = new Map();

/** "Mon–Fri", "Mon, Wed, Fri": runs of three days or more as a range (as the API says it). */
function describeDays(days) {
  const runs = [];
  for (const day of days) {
    const last = runs.at(-1);
    if (last && last.at(-1) === day - 1) last.push(day);
    else runs.push([day]);
  }
  const name = (day) => DAY_NAMES[day - 1] ?? String(day);
  return runs
    .flatMap((run) => (run.length >= 3 ? [`${name(run[0])}–${name(run.at(-1))}`] : run.map(name)))
    .join(', ');
}

/** E.g. "Mon–Fri 07:00–20:00 Europe/Rome"; no window: any hour. */
const describeWindow = (window) =>
  window
    ? `${describeDays(window.days)} ${window.from}–${window.to} ${window.timeZone}`
    : 'Any hour';

function checkMultiplier(text) {
  const value = text.trim();
  const n = Number(value);
  return /^\d+$/.test(value) && n >= MIN_MULTIPLIER && n <= MAX_MULTIPLIER
    ? ''
    : `Enter a whole number from ${MIN_MULTIPLIER} to ${MAX_MULTIPLIER}.`;
}

function checkWindow(window) {
  if (!HH_MM.test(window.from) || !HH_MM.test(window.to)) return 'Enter both times as HH:MM.';
  if (window.from === window.to) return 'The window must not start and end at the same time.';
  if (window.days.length === 0) return 'Choose at least one day.';
  if (!window.timeZone) return 'Enter a time zone, e.g. Europe/Rome.';
  return '';
}

/** One list of zone names for every time zone field (UTC is not among Intl's own). */
function timeZoneList() {
  let list = byId('time-zones');
  if (list) return list.id;
  const zones = ['UTC', ...(Intl.supportedValuesOf?.('timeZone') ?? [])];
  list = h('datalist', { id: 'time-zones' }, ...zones.map((zone) => h('option', { value: zone })));
  document.body.append(list);
  return list.id;
}

/** An input that the refresh must not overwrite while it is being edited. */
function keepWhileEdited(input, onEdit) {
  input.addEventListener('input', () => {
    input.dataset.dirty = 'true';
    onEdit();
  });
  return (value) => {
    if (document.activeElement !== input && !input.dataset.dirty) input.value = value;
  };
}

function tierForm(type) {
  const id = (part) => `${part}-${type}`;
  const error = h('p', { id: id('tiers-error'), class: 'field-error', role: 'alert' });
  const input = (tier, label) =>
    h('input', {
      id: id(`${tier}-multiplier`),
      class: 'multiplier-input',
      type: 'number',
      min: MIN_MULTIPLIER,
      max: MAX_MULTIPLIER,
      step: 1,
      inputmode: 'numeric',
      required: true,
      readonly: role !== 'admin',
      'aria-label': `${label} multiplier for ${type}`,
      'aria-describedby': error.id,
    });
  const idle = input('idle', 'Idle');
  const offline = input('offline', 'Offline');
  const save = h(
    'button',
    {
      class: 'button small secondary command',
      type: 'submit',
      'aria-label': `Save multipliers for ${type}`,
    },
    'Save',
  );
  const form = h(
    'form',
    {
      class: 'tier-form',
      novalidate: true,
      title: 'An idle agent syncs once every N intervals, an offline one too (0 = never by ticks)',
    },
    h('span', { class: 'unit', 'aria-hidden': 'true' }, 'Idle ×'),
    idle,
    h('span', { class: 'unit', 'aria-hidden': 'true' }, 'Offline ×'),
    offline,
    save,
  );
  const clearError = () => {
    setFieldError(idle, error, '');
    offline.removeAttribute('aria-invalid');
  };
  const setIdle = keepWhileEdited(idle, clearError);
  const setOffline = keepWhileEdited(offline, clearError);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    for (const field of [idle, offline]) {
      const problem = checkMultiplier(field.value);
      setFieldError(field, error, problem);
      if (problem) {
        field.focus();
        return;
      }
    }
    void act(
      save,
      async () => {
        const result = await api('POST', `/intervals/${encodeURIComponent(type)}`, {
          idleMultiplier: Number(idle.value.trim()),
          offlineMultiplier: Number(offline.value.trim()),
        });
        delete idle.dataset.dirty;
        delete offline.dataset.dirty;
        notify(result.message);
      },
      (message) => setFieldError(idle, error, message),
    );
  });
  return {
    elements: [form, error],
    update({ idleMultiplier, offlineMultiplier }) {
      setIdle(String(idleMultiplier));
      setOffline(String(offlineMultiplier));
    },
  };
}

function windowForm(type) {
  const id = (part) => `${part}-${type}`;
  const error = h('p', { id: id('window-error'), class: 'field-error', role: 'alert' });
  const time = (part, label) =>
    h('input', {
      id: id(`window-${part}`),
      type: 'time',
      required: true,
      'aria-label': `${label} for ${type}`,
      'aria-describedby': error.id,
    });
  const from = time('from', 'Working hours from');
  const to = time('to', 'Working hours to');
  const days = DAY_NAMES.map((name, index) =>
    h('input', { type: 'checkbox', value: index + 1, 'aria-label': `${name} (${type})` }),
  );
  const zone = h('input', {
    id: id('window-zone'),
    type: 'text',
    list: timeZoneList(),
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'Europe/Rome',
    required: true,
    'aria-label': `Time zone for ${type}`,
    'aria-describedby': error.id,
  });
  const save = h(
    'button',
    { class: 'button small', type: 'submit', 'aria-label': `Save working hours for ${type}` },
    'Save hours',
  );
  const clear = h(
    'button',
    {
      class: 'button small secondary',
      type: 'button',
      'aria-label': `Clear working hours for ${type}`,
    },
    'Clear',
  );
  const text = h('span', { class: 'window-text' });
  const summary = h('summary', { 'aria-label': `Working hours of ${type}` }, 'Hours: ', text);
  const form = h(
    'form',
    // A command as a whole: a viewer sees the hours in the summary, never the form.
    { class: 'window-form command', novalidate: true },
    h('div', { class: 'window-times' }, from, h('span', { 'aria-hidden': 'true' }, '–'), to),
    h(
      'fieldset',
      { class: 'window-days' },
      h('legend', { class: 'visually-hidden' }, `Days for ${type}`),
      ...days.map((box, index) => h('label', {}, box, DAY_NAMES[index])),
    ),
    h('label', { class: 'window-zone' }, h('span', { class: 'unit' }, 'Time zone'), zone),
    h('div', { class: 'actions' }, save, clear),
  );
  const details = h('details', { class: 'window-details' }, summary, form, error);

  let saved = null;
  let edited = false;
  const fill = (window) => {
    const shown = window ?? {
      ...DEFAULT_WINDOW,
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC',
    };
    from.value = shown.from;
    to.value = shown.to;
    for (const box of days) box.checked = shown.days.includes(Number(box.value));
    zone.value = shown.timeZone;
  };
  const show = (window) => {
    saved = window;
    text.textContent = describeWindow(window);
    details.dataset.window = window ? 'set' : 'none';
    if (!edited) fill(window);
  };
  form.addEventListener('input', () => {
    edited = true;
    setFieldError(zone, error, '');
  });
  // Closing the form forgets what was typed: it shows the saved window again next time.
  details.addEventListener('toggle', () => {
    if (details.open) return;
    edited = false;
    setFieldError(zone, error, '');
    fill(saved);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const window = {
      from: from.value,
      to: to.value,
      days: days.filter((box) => box.checked).map((box) => Number(box.value)),
      timeZone: zone.value.trim(),
    };
    const problem = checkWindow(window);
    setFieldError(zone, error, problem);
    if (problem) return;
    void act(
      save,
      async () => {
        const result = await api('PUT', `/windows/${encodeURIComponent(type)}`, window);
        edited = false;
        show(result.window);
        notify(result.message);
      },
      (message) => setFieldError(zone, error, message),
    );
  });
  clear.addEventListener('click', () =>
    act(
      clear,
      async () => {
        const result = await api('DELETE', `/windows/${encodeURIComponent(type)}`);
        edited = false;
        show(result.window);
        notify(result.message);
      },
      (message) => setFieldError(zone, error, message),
    ),
  );
  return { elements: [details], update: ({ window }) => show(window) };
}

function mountTypeExtras(type) {
  const host = [...ui.rows.querySelectorAll('tr[data-type]')]
    .find((row) => row.dataset.type === type)
    ?.querySelector('.interval-cell');
  if (!host) return undefined;
  const parts = [tierForm(type), windowForm(type)];
  host.append(...parts.flatMap((part) => part.elements));
  const entry = { update: (settings) => parts.forEach((part) => part.update(settings)) };
  typeExtras.set(type, entry);
  return entry;
}

/** From GET /intervals; a service without multipliers or windows (older) shows nothing more. */
function renderTypeSettings(data) {
  if (!data?.idleMultipliers || !data.offlineMultipliers || !data.windows) return;
  for (const type of Object.keys(data.windows)) {
    (typeExtras.get(type) ?? mountTypeExtras(type))?.update({
      idleMultiplier: data.idleMultipliers[type],
      offlineMultiplier: data.offlineMultipliers[type],
      window: data.windows[type],
    });
  }
}

// ------------------------------------------------------------------------- ERP breaker

const isoOf = (epochMs) =>
  epochMs === null || epochMs === undefined ? null : new Date(epochMs).toISOString();
const at = (epochMs) => `${formatTime(isoOf(epochMs))} (${formatRelative(isoOf(epochMs))})`;

/** The banner is there only while the breaker is not closed, or its state is unknown. */
function renderErp(erp) {
  if (!erp || erp.state === 'closed') {
    ui.erpBanner.hidden = true;
    return;
  }
  const { outcomes, failed } = erp.window;
  const share = outcomes ? ` ${failed} of the last ${plural(outcomes, 'outcome')} failed.` : '';
  const since = erp.since === null ? '' : ` since ${at(erp.since)}`;
  if (erp.state === 'open') {
    const probe =
      erp.openUntil === null ? '' : ` A probe batch goes out after ${at(erp.openUntil)}.`;
    ui.erpTitle.textContent = `ERP breaker open${since}`;
    ui.erpDetail.textContent = `No sync is sent to the ERP while it is open.${probe}${share}`;
  } else {
    ui.erpTitle.textContent = `ERP breaker half open${since}`;
    ui.erpDetail.textContent = `A probe batch is out; syncs resume when it succeeds.${share}`;
  }
  ui.erpBanner.dataset.state = erp.state;
  ui.erpBanner.hidden = false;
}

// ------------------------------------------------------------------------------ agents

let view = 'types';
/** False once the service answered 404: it has no agent state (an older build). */
let agentApi = true;
/** Per type, from the monitoring status: what "stale" means for each. */
let intervalMinutes = {};

/** GET, except that a 404 turns the agent state off instead of failing; auth errors rethrow. */
async function readAgentApi(path) {
  if (!agentApi) return { unavailable: true };
  try {
    return await api('GET', path);
  } catch (error) {
    if (isAuthError(error)) throw error;
    if (error.status === 404) agentApi = false;
    return { error: error.message, unavailable: error.status === 404 };
  }
}

const readErp = () => readAgentApi('/erp-breaker');

/** Every page, up to AGENT_PAGES_MAX, of the chosen filter. */
async function readAgents() {
  const filter = ui.agentFilter.value;
  const rows = [];
  let cursor = null;
  for (let page = 0; page < AGENT_PAGES_MAX; page++) {
    const query = [`limit=${AGENT_PAGE}`];
    if (filter) query.push(`state=${encodeURIComponent(filter)}`);
    if (cursor) query.push(`cursor=${encodeURIComponent(cursor)}`);
    const data = await readAgentApi(`/agents?${query.join('&')}`);
    if (!data.success) return data;
    rows.push(...data.agents);
    cursor = data.nextCursor;
    if (!cursor) break;
  }
  return { success: true, rows, truncated: cursor !== null, filter };
}

/** One entry per agent in the order the API gives (newest failure first), its types in order. */
function groupByAgent(rows) {
  const agents = new Map();
  for (const row of rows) {
    if (!agents.has(row.userId)) agents.set(row.userId, []);
    agents.get(row.userId).push(row);
  }
  return [...agents].map(([userId, pairs]) => ({
    userId,
    pairs: pairs.sort((a, b) => TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type)),
    newestFailure: Math.max(...pairs.map((p) => p.lastFailedAt ?? -Infinity)),
  }));
}

const BREAKER_LABEL = { closed: 'closed', open: 'open', half_open: 'half open' };

function isStale(pair) {
  const minutes = intervalMinutes[pair.type];
  if (!minutes) return false;
  return pair.lastCompletedAt === null || Date.now() - pair.lastCompletedAt > 2 * minutes * 60_000;
}

function renderPair(pair) {
  const success =
    pair.lastCompletedAt === null
      ? h('span', { class: 'muted' }, 'never')
      : h(
          'time',
          {
            datetime: isoOf(pair.lastCompletedAt),
            title: new Date(pair.lastCompletedAt).toString(),
          },
          formatRelative(isoOf(pair.lastCompletedAt)),
        );
  const breaker = h(
    'span',
    { class: `badge breaker-${pair.breaker}` },
    BREAKER_LABEL[pair.breaker] ?? pair.breaker,
  );
  const parts = [
    h('span', { class: 'pair-type' }, pair.type),
    breaker,
    isStale(pair) ? h('span', { class: 'badge health-stale' }, 'stale') : '',
    h('span', { class: 'pair-success' }, 'last success ', success),
  ];
  if (pair.breaker === 'open' && pair.openUntil !== null) {
    parts.push(
      h('span', { class: 'pair-until' }, `probe ${formatRelative(isoOf(pair.openUntil))}`),
    );
  }
  if (pair.consecutiveFailures > 0) {
    parts.push(
      h(
        'span',
        { class: 'pair-failures' },
        plural(pair.consecutiveFailures, 'failure') + ' in a row',
      ),
    );
  }
  if (pair.lastFailureReason) {
    parts.push(
      h('span', { class: 'pair-reason', title: pair.lastFailureReason }, pair.lastFailureReason),
    );
  }
  return h('li', { class: `pair pair-${pair.breaker}`, 'data-type': pair.type }, ...parts);
}

function renderAgentRow(agent) {
  const cell = (label, ...children) => h('td', { 'data-label': label }, ...children);
  const failure = Number.isFinite(agent.newestFailure) ? isoOf(agent.newestFailure) : null;
  const failureCell = cell('Newest failure');
  renderTime(failureCell, failure, 'never');
  const reset = h(
    'button',
    { class: 'button secondary small', type: 'button', 'aria-label': `Reset ${agent.userId}` },
    'Reset',
  );
  reset.addEventListener('click', () =>
    act(reset, async () => {
      const result = await api('POST', `/agents/${encodeURIComponent(agent.userId)}/reset`);
      notify(`${result.userId}: breakers closed (${plural(result.reset, 'row')} changed).`);
    }),
  );
  return h(
    'tr',
    { 'data-agent': agent.userId },
    h('th', { scope: 'row' }, h('span', { class: 'type-name' }, agent.userId)),
    failureCell,
    cell('Recent outcomes', outcomeStrip(agent.userId, api)),
    cell(
      'Sync types',
      h(
        'ul',
        { class: 'pairs', 'aria-label': `Sync types of ${agent.userId}` },
        ...agent.pairs.map(renderPair),
      ),
    ),
    cell('Actions', h('div', { class: 'actions' }, reset)),
  );
}

function renderAgents(result) {
  if (!result) return;
  const now = new Date().toISOString();
  ui.agentsUpdated.dateTime = now;
  ui.agentsUpdated.textContent = formatTime(now);
  const empty = (message) => {
    ui.agentRows.replaceChildren();
    delete ui.agentRows.dataset.key;
    ui.agentsTable.hidden = true;
    ui.agentsMore.hidden = true;
    ui.agentsEmpty.textContent = message;
    ui.agentsEmpty.hidden = false;
  };
  if (result.unavailable) return empty('This service keeps no per-agent sync state.');
  if (!result.success) return empty(`Could not read the agents: ${result.error}`);
  const agents = groupByAgent(result.rows);
  if (agents.length === 0) {
    const which = { open: 'No agent has an open breaker.', stale: 'No agent is stale.' };
    return empty(which[result.filter] ?? 'No agent has synced yet.');
  }
  ui.agentsEmpty.hidden = true;
  ui.agentsTable.hidden = false;
  ui.agentsMore.hidden = !result.truncated;
  ui.agentsMore.textContent = `Showing the newest ${result.rows.length} rows; choose a filter to narrow them.`;
  // Redrawn only when something changed, so focus on a Reset button survives the refresh.
  const key = JSON.stringify([result.rows, intervalMinutes]);
  if (ui.agentRows.dataset.key === key) return;
  ui.agentRows.dataset.key = key;
  ui.agentRows.replaceChildren(...agents.map(renderAgentRow));
}

function showView(name, focus = false) {
  view = name;
  for (const tab of ui.tabs) {
    const selected = tab.getAttribute('aria-controls') === `view-${name}`;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    if (selected && focus) tab.focus();
  }
  for (const [key, panel] of Object.entries(ui.views)) panel.hidden = key !== name;
}

// ----------------------------------------------------------------------- recent changes

const AUDIT_SHOWN = 10;
/** False once the service answered 404: it keeps no audit trail (an older build). */
let auditApi = true;
const ACTION_LABEL = {
  'auto-sync.start': 'started auto-sync',
  'auto-sync.stop': 'stopped auto-sync',
  'settings.update': 'changed settings of',
  'sync.pause': 'paused',
  'sync.resume': 'resumed',
  'window.set': 'set the working hours of',
  'window.clear': 'cleared the working hours of',
  trigger: 'ran now',
  'agent.reset': 'reset the breakers of',
};

/** The newest changes; a failure is shown in the list, an auth error signs out as elsewhere. */
async function readAudit() {
  if (!auditApi) return { unavailable: true };
  try {
    return await api('GET', `/audit?limit=${AUDIT_SHOWN}`);
  } catch (error) {
    if (isAuthError(error)) throw error;
    if (error.status === 404) auditApi = false;
    return { error: error.message, unavailable: error.status === 404 };
  }
}

/** A before or after value in words: `intervalMinutes 10`, a window as the rows show it. */
function describeValue(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value !== 'object') return String(value);
  const entries = Object.entries(value);
  if (entries.length === 1 && entries[0][0] === 'window') return describeWindow(entries[0][1]);
  if (entries.length === 0) return 'nothing';
  return entries
    .map(
      ([key, v]) => `${key} ${v !== null && typeof v === 'object' ? `(${describeValue(v)})` : v}`,
    )
    .join(', ');
}

/** What a trigger did, without its zeros: `for a-1, enqueued 1`. */
function describeTrigger(after) {
  const { userId, enqueued, ...rest } = after ?? {};
  const others = Object.entries(rest).filter(([, value]) => value !== 0 && value !== false);
  return [userId ? `for ${userId}` : 'every agent', `enqueued ${enqueued ?? 0}`]
    .concat(others.map(([key, value]) => `${key} ${value}`))
    .join(', ');
}

function renderChange(entry) {
  const iso = isoOf(entry.at);
  const change =
    entry.action === 'trigger'
      ? describeTrigger(entry.after)
      : `${describeValue(entry.before)} → ${describeValue(entry.after)}`;
  return h(
    'li',
    { class: 'audit-entry', 'data-action': entry.action },
    h('time', { datetime: iso, title: new Date(iso).toString() }, formatTime(iso)),
    h('span', { class: 'audit-actor' }, entry.actor ?? 'unknown'),
    h('span', { class: 'audit-action' }, ACTION_LABEL[entry.action] ?? entry.action),
    entry.target === null ? '' : h('span', { class: 'audit-target' }, entry.target),
    h('span', { class: 'audit-change' }, change),
  );
}

function renderAudit(result) {
  const empty = (message) => {
    ui.auditList.replaceChildren();
    delete ui.auditList.dataset.key;
    ui.auditEmpty.textContent = message;
    ui.auditEmpty.hidden = false;
  };
  if (result.unavailable) return empty('This service keeps no audit trail.');
  if (!result.success) return empty(`Could not read the recent changes: ${result.error}`);
  if (result.entries.length === 0) return empty('No change yet.');
  ui.auditEmpty.hidden = true;
  const key = JSON.stringify(result.entries.map((entry) => entry.id));
  if (ui.auditList.dataset.key === key) return;
  ui.auditList.dataset.key = key;
  ui.auditList.replaceChildren(...result.entries.map(renderChange));
}

// -------------------------------------------------------------------------------- role

/**
 * 'admin' or 'viewer', from GET /me; undefined until it answered. Anything but admin sees the
 * page read-only: admin.css hides the commands, the interval fields are read-only and a form
 * submitted anyway (Enter in a field) is stopped before its handler. The server refuses a
 * viewer's writes whatever the page does; this only keeps the page honest about it.
 */
let role;

async function readRole() {
  const me = await api('GET', '/me');
  role = me.role;
  document.body.dataset.role = role;
  ui.readOnly.hidden = role === 'admin';
  for (const input of ui.rows.querySelectorAll('.interval-input, .multiplier-input')) {
    input.readOnly = role !== 'admin';
  }
}

ui.dashboard.addEventListener(
  'submit',
  (event) => {
    if (role === 'admin') return;
    event.preventDefault();
    event.stopPropagation();
  },
  true,
);

/** A token kept from before a reload: the role first, then the dashboard (read-only meanwhile). */
async function resumeSession() {
  while (token() && role === undefined) {
    try {
      await readRole();
    } catch (error) {
      if (isAuthError(error)) return signOut(`Signed out: ${error.message}`);
      if (ui.dashboard.hidden) startDashboard();
      await new Promise((resolve) => setTimeout(resolve, REFRESH_MS));
    }
  }
  if (token() && ui.dashboard.hidden) startDashboard();
}

function startDashboard() {
  showDashboard();
  void refreshNow();
}

// ------------------------------------------------------------------------- refresh loop

let timer;
let latest = 0;

/** Reads the status now; only the newest read is drawn, so a slow one can't undo an action. */
async function refreshNow() {
  if (!token()) return;
  clearTimeout(timer);
  const read = ++latest;
  try {
    const [data, erp, agents, settings, audit] = await Promise.all([
      api('GET', `/monitoring/status?limit=${HISTORY_SHOWN}`),
      readErp(),
      view === 'agents' ? readAgents() : undefined,
      api('GET', '/intervals'),
      readAudit(),
    ]);
    if (read !== latest) return;
    render(data);
    renderTypeSettings(settings);
    renderErp(erp);
    renderAgents(agents);
    renderAudit(audit);
    if (view === 'types') void drawCharts(api);
    else refreshOutcomeStrips();
    clearAlert('refresh');
  } catch (error) {
    if (read !== latest) return;
    if (isAuthError(error)) {
      signOut(`Signed out: ${error.message}`);
      return;
    }
    showAlert(`Could not refresh: ${error.message}`, 'refresh');
  }
  if (read === latest && token()) timer = setTimeout(refreshIfVisible, REFRESH_MS);
}

function refreshIfVisible() {
  // A hidden tab does not poll; it catches up when it is shown again.
  if (!document.hidden) void refreshNow();
}

// ------------------------------------------------------------------------- sign in / out

function showDashboard() {
  ui.signIn.hidden = true;
  ui.dashboard.hidden = false;
  ui.signOut.hidden = false;
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  clearTimeout(timer);
  latest++;
  clearAlert();
  ui.dashboard.hidden = true;
  ui.signOut.hidden = true;
  ui.signIn.hidden = false;
  ui.token.value = '';
  setFieldError(ui.token, ui.tokenError, message ?? '');
  notify(message ?? 'Signed out.');
  ui.token.focus();
}

ui.signInForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = ui.signInForm.querySelector('button');
  if (button.getAttribute('aria-disabled') === 'true') return;
  const pasted = ui.token.value.trim().replace(/^Bearer\s+/i, '');
  if (!pasted) {
    setFieldError(ui.token, ui.tokenError, 'Paste an admin token first.');
    ui.token.focus();
    return;
  }
  button.setAttribute('aria-disabled', 'true');
  sessionStorage.setItem(TOKEN_KEY, pasted);
  try {
    await readRole();
    const data = await api('GET', `/monitoring/status?limit=${HISTORY_SHOWN}`);
    setFieldError(ui.token, ui.tokenError, '');
    ui.token.value = '';
    showDashboard();
    render(data);
    notify('Signed in.');
    ui.main.focus();
    // The ERP banner (and the agents, if that view is open) at once, then every 5 s.
    void refreshNow();
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    setFieldError(ui.token, ui.tokenError, error.message);
    ui.token.focus();
  } finally {
    button.removeAttribute('aria-disabled');
  }
});

ui.signOut.addEventListener('click', () => signOut());
ui.refresh.addEventListener('click', () => act(ui.refresh, async () => {}));
ui.autoToggle.addEventListener('click', () =>
  act(ui.autoToggle, async () => {
    const running = ui.autoToggle.dataset.running === 'true';
    const result = await api('POST', running ? '/auto-sync/stop' : '/auto-sync/start');
    renderAutoSync(result.running);
    notify(result.running ? 'Auto-sync started.' : 'Auto-sync stopped.');
  }),
);

ui.runAgentForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const type = ui.runAgentType.value;
  const userId = ui.runAgentId.value.trim();
  if (!userId) {
    setFieldError(ui.runAgentId, ui.runAgentError, 'Enter an agent id.');
    ui.runAgentId.focus();
    return;
  }
  setFieldError(ui.runAgentId, ui.runAgentError, '');
  void act(
    ui.runAgentForm.querySelector('button'),
    async () => {
      const result = await api('POST', `/trigger/${encodeURIComponent(type)}`, { userId });
      notify(triggerMessage(result, userId));
    },
    (message) => setFieldError(ui.runAgentId, ui.runAgentError, message),
  );
});

for (const tab of ui.tabs) {
  tab.addEventListener('click', () => {
    showView(tab.getAttribute('aria-controls').slice('view-'.length));
    void refreshNow();
  });
  // Arrow keys move between the tabs, as in any tab list.
  tab.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    const next = ui.tabs[(ui.tabs.indexOf(tab) + 1) % ui.tabs.length];
    next.click();
    next.focus();
  });
}

ui.agentFilter.addEventListener('change', () => void refreshNow());
ui.agentsRefresh.addEventListener('click', () => act(ui.agentsRefresh, async () => {}));

document.addEventListener('visibilitychange', () => {
  if (!document.hidden) void refreshNow();
});

if (token()) void resumeSession();
