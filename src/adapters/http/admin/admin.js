// The admin page: plain browser JavaScript, no framework, no build step, nothing from elsewhere.
// Every action is one call to the admin API and every figure comes from its answers; the page
// keeps no state of its own beyond the token (session storage) and the fields being edited.

const API = '/api/sync';
const TOKEN_KEY = 'sync-scheduler:admin-token';
const REFRESH_MS = 5000;
const HISTORY_SHOWN = 5;
// The API's bounds (src/domain/interval.ts), checked here too so a typo costs no round trip.
const MIN_MINUTES = 5;
const MAX_MINUTES = 1440;
const QUEUE_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'];

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

// ------------------------------------------------------------------------- refresh loop

let timer;
let latest = 0;

/** Reads the status now; only the newest read is drawn, so a slow one can't undo an action. */
async function refreshNow() {
  if (!token()) return;
  clearTimeout(timer);
  const read = ++latest;
  try {
    const data = await api('GET', `/monitoring/status?limit=${HISTORY_SHOWN}`);
    if (read !== latest) return;
    render(data);
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
    const data = await api('GET', `/monitoring/status?limit=${HISTORY_SHOWN}`);
    setFieldError(ui.token, ui.tokenError, '');
    ui.token.value = '';
    showDashboard();
    render(data);
    notify('Signed in.');
    ui.main.focus();
    timer = setTimeout(refreshIfVisible, REFRESH_MS);
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

document.addEventListener('visibilitychange', () => {
  if (!document.hidden) void refreshNow();
});

if (token()) {
  showDashboard();
  void refreshNow();
}
