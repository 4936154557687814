import { z } from 'zod';
import {
  DEFAULT_HISTORY_LIMIT,
  MAX_HISTORY_LIMIT,
} from '../../application/get-monitoring-status.js';
import { MAX_USER_ID_LENGTH } from '../../application/agent-id.js';
import { DEFAULT_OUTCOME_LIMIT, MAX_OUTCOME_LIMIT } from '../../application/get-agent-outcomes.js';
import {
  DEFAULT_CHART_HOURS,
  MAX_CHART_HOURS,
  MIN_CHART_HOURS,
} from '../../application/get-charts.js';
import {
  AGENT_STATE_FILTERS,
  DEFAULT_AGENT_LIMIT,
  MAX_AGENT_LIMIT,
  MAX_CURSOR_LENGTH,
} from '../../application/list-agents.js';
import {
  DEFAULT_AUDIT_LIMIT,
  MAX_AUDIT_ACTOR_LENGTH,
  MAX_AUDIT_CURSOR_LENGTH,
  MAX_AUDIT_LIMIT,
} from '../../application/list-audit.js';
import { AT_LEAST_ONE_SETTING, SETTINGS_FIELDS } from '../../application/update-interval.js';
import { AUDIT_ACTIONS } from '../../domain/ports/audit-log.js';
import { MAX_MULTIPLIER, MIN_MULTIPLIER } from '../../domain/activity.js';
import { BREAKER_STATES } from '../../domain/breakers.js';
import { MAX_INTERVAL_MINUTES, MIN_INTERVAL_MINUTES } from '../../domain/interval.js';
import { SYNC_TYPES, type SyncType } from '../../domain/sync-types.js';
import { MULTIPLIER_RANGE } from '../../domain/tier-multipliers.js';
import { ROLES } from './roles.js';
import { isIanaTimeZone } from './time-zone.js';

/**
 * Every request and response shape of the HTTP API, in one place: the same schemas validate
 * requests and generate /openapi.json, so the document cannot drift from the behaviour.
 * Messages are written as "<field> <reason>" to read as one sentence in the error body.
 */

const ACCEPTED_TYPE_NAMES = [...SYNC_TYPES, ...SYNC_TYPES.map((t) => `sync-${t}` as const)];
const INTERVAL_RANGE = `must be between ${MIN_INTERVAL_MINUTES} and ${MAX_INTERVAL_MINUTES} minutes`;

export const syncTypeParams = z.object({
  type: z.enum(ACCEPTED_TYPE_NAMES, { error: `must be one of ${SYNC_TYPES.join(', ')}` }),
});

const multiplier = (tier: string) =>
  z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(MIN_MULTIPLIER, { error: MULTIPLIER_RANGE })
    .max(MAX_MULTIPLIER, { error: MULTIPLIER_RANGE })
    .optional()
    .describe(`An ${tier} agent is synced once every this many intervals; 0 = never by ticks`);

/**
 * Any of the three, at least one; absent ones keep their value. No coercion: "10" is refused,
 * as the domain refuses it. Extra fields are ignored (as they always were for this route).
 */
export const updateIntervalBody = z
  .object(
    {
      intervalMinutes: z
        .number({ error: 'must be a number' })
        .int({ error: 'must be a whole number of minutes' })
        .min(MIN_INTERVAL_MINUTES, { error: INTERVAL_RANGE })
        .max(MAX_INTERVAL_MINUTES, { error: INTERVAL_RANGE })
        .optional(),
      idleMultiplier: multiplier('idle'),
      offlineMultiplier: multiplier('offline'),
    },
    { error: 'must be a JSON object' },
  )
  .refine((body) => SETTINGS_FIELDS.some((field) => body[field] !== undefined), {
    error: AT_LEAST_ONE_SETTING,
  })
  .describe(`At least one of ${SETTINGS_FIELDS.join(', ')}`);

const HH_MM = /^(?:[01]\d|2[0-3]):[0-5]\d$/;
const TIME = 'must be a time "HH:MM" from 00:00 to 23:59';
/** A missing field says so, as a missing interval always did. */
const orRequired =
  (reason: string) =>
  (issue: { input: unknown }): string =>
    issue.input === undefined ? 'is required' : reason;
const time = z.string({ error: orRequired(TIME) }).regex(HH_MM, { error: TIME });
const DAY = 'must be an ISO weekday: a whole number from 1 (Monday) to 7 (Sunday)';
const weekday = z
  .number({ error: DAY })
  .int({ error: DAY })
  .min(1, { error: DAY })
  .max(7, { error: DAY });

/**
 * PUT /windows/:type. Days may come in any order and are stored ascending; `to` earlier than
 * `from` crosses midnight; an empty window (from = to) is refused. Extra fields are ignored.
 */
export const workingWindowBody = z
  .object(
    {
      from: time.describe('Opens at, local to timeZone'),
      to: time.describe('Closes at; earlier than from: the next day'),
      days: z
        .array(weekday, {
          error: orRequired('must be an array of ISO weekdays (1 = Monday … 7 = Sunday)'),
        })
        .min(1, { error: 'must name at least one day' })
        .refine((days) => new Set(days).size === days.length, { error: 'must not repeat a day' })
        .transform((days) => [...days].sort((a, b) => a - b))
        .describe('ISO weekdays the window opens on (1 = Monday … 7 = Sunday), no repeats'),
      timeZone: z
        .string({ error: orRequired('must be a string') })
        .refine(isIanaTimeZone, { error: 'must be an IANA time zone, e.g. Europe/Rome' })
        .describe('An IANA time zone name, e.g. Europe/Rome; DST-safe'),
    },
    { error: 'must be a JSON object' },
  )
  // Only between two valid times: a malformed one is already reported as such.
  .refine((window) => !HH_MM.test(window.from) || window.from !== window.to, {
    path: ['to'],
    error: 'must differ from "from": a window cannot be empty',
  });

export const triggerBody = z.object(
  {
    userId: z
      .string({ error: 'must be a string' })
      .min(1, { error: 'must not be empty' })
      .optional(),
  },
  { error: 'must be a JSON object' },
);

const LIMIT_RANGE = `must be between 1 and ${MAX_HISTORY_LIMIT}`;

/** Query strings are text, so this one number is coerced; anything not a whole 1..100 fails. */
export const monitoringQuery = z.object({
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: LIMIT_RANGE })
    .max(MAX_HISTORY_LIMIT, { error: LIMIT_RANGE })
    .default(DEFAULT_HISTORY_LIMIT),
});

const AGENT_LIMIT_RANGE = `must be between 1 and ${MAX_AGENT_LIMIT}`;

/** GET /agents: the same bounds the use case checks, here so that OpenAPI documents them. */
export const agentListQuery = z.object({
  type: z
    .enum(ACCEPTED_TYPE_NAMES, { error: `must be one of ${SYNC_TYPES.join(', ')}` })
    .optional(),
  state: z
    .enum(AGENT_STATE_FILTERS, { error: `must be one of ${AGENT_STATE_FILTERS.join(', ')}` })
    .optional()
    .describe('A breaker state, or "stale": no success for more than two intervals'),
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: AGENT_LIMIT_RANGE })
    .max(MAX_AGENT_LIMIT, { error: AGENT_LIMIT_RANGE })
    .default(DEFAULT_AGENT_LIMIT),
  cursor: z
    .string({ error: 'must be a single value' })
    .min(1, { error: 'must not be empty' })
    .max(MAX_CURSOR_LENGTH, { error: `must be at most ${MAX_CURSOR_LENGTH} characters` })
    .optional()
    .describe("The previous page's nextCursor"),
});

const AUDIT_LIMIT_RANGE = `must be between 1 and ${MAX_AUDIT_LIMIT}`;

/** GET /audit: the same bounds the use case checks, here so that OpenAPI documents them. */
export const auditQuery = z.object({
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: AUDIT_LIMIT_RANGE })
    .max(MAX_AUDIT_LIMIT, { error: AUDIT_LIMIT_RANGE })
    .default(DEFAULT_AUDIT_LIMIT),
  cursor: z
    .string({ error: 'must be a single value' })
    .min(1, { error: 'must not be empty' })
    .max(MAX_AUDIT_CURSOR_LENGTH, {
      error: `must be at most ${MAX_AUDIT_CURSOR_LENGTH} characters`,
    })
    .optional()
    .describe("The previous page's nextCursor"),
  actor: z
    .string({ error: 'must be a single value' })
    .min(1, { error: 'must not be empty' })
    .max(MAX_AUDIT_ACTOR_LENGTH, { error: `must be at most ${MAX_AUDIT_ACTOR_LENGTH} characters` })
    .optional()
    .describe("Only this actor's changes (the token's sub, else its userId claim)"),
  action: z
    .enum(AUDIT_ACTIONS, { error: `must be one of ${AUDIT_ACTIONS.join(', ')}` })
    .optional()
    .describe('Only this kind of change'),
});

export const userIdParams = z.object({
  userId: z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(MAX_USER_ID_LENGTH, { error: `must be at most ${MAX_USER_ID_LENGTH} characters` }),
});

/** An object with one required key per sync type; typed per key, so parsed bodies are too. */
const perType = <S extends z.ZodType>(schema: S) =>
  z.object(Object.fromEntries(SYNC_TYPES.map((t) => [t, schema])) as Record<SyncType, S>);

const ok = z.literal(true);
const minutes = z.number().int();
const intervals = perType(minutes);
/** false = paused. */
const enabled = perType(z.boolean());
const syncType = z.enum(SYNC_TYPES);
const isoTime = z.iso.datetime().nullable();

export const errorBody = z.object({
  success: z.literal(false),
  error: z.string().min(1),
  details: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
});

export const startResponse = z.object({ success: ok, running: z.boolean(), intervals });
export const autoSyncStatusResponse = startResponse.extend({ enabled });
export const stopResponse = z.object({ success: ok, running: z.literal(false) });
const multipliers = perType(z.number().int());
/** A stored window, as answered (the request schema above is what a client may send). */
const workingWindow = z
  .object({
    from: z.string(),
    to: z.string(),
    days: z.array(z.number().int()),
    timeZone: z.string(),
  })
  .nullable()
  .describe('Working hours; null = any hour');
const windows = perType(workingWindow);

export const intervalsResponse = z.object({
  success: ok,
  intervals,
  enabled,
  idleMultipliers: multipliers,
  offlineMultipliers: multipliers,
  windows,
});

export const updateIntervalResponse = z.object({
  success: ok,
  message: z.string(),
  type: syncType,
  intervalMinutes: minutes,
  idleMultiplier: z.number().int(),
  offlineMultiplier: z.number().int(),
});

export const windowsResponse = z.object({ success: ok, windows });

export const windowResponse = z.object({
  success: ok,
  type: syncType,
  window: workingWindow,
  message: z.string(),
});

export const triggerResponse = z.object({
  success: ok,
  type: syncType,
  enqueued: z.number().int(),
  deduplicated: z.number().int(),
  skippedBreaker: z
    .number()
    .int()
    .describe('Held back by an open breaker (a trigger for every agent respects them)'),
  bypassedBreaker: z
    .boolean()
    .describe('A trigger for one agent whose breaker was open: sent anyway, as asked'),
  deferredBudget: z
    .number()
    .int()
    .describe(
      'Under a release budget, a trigger for every agent hands its pairs to the leader, which releases them most stale first within the budget',
    ),
});

export const setEnabledResponse = z.object({
  success: ok,
  type: syncType,
  enabled: z.boolean(),
  message: z.string(),
});

const count = z.number().int().min(0);
const typeStatus = z.object({
  isRunning: z.boolean(),
  lastRunTime: isoTime,
  nextRunTime: isoTime,
  health: z.enum(['idle', 'healthy', 'degraded', 'stale', 'paused']),
  history: z.array(
    z.object({
      timestamp: z.iso.datetime(),
      duration: z.number().nullable(),
      success: z.boolean(),
      class: z.enum(['completed', 'failed']).describe('failed: after all its attempts'),
      error: z.string().nullable(),
    }),
  ),
  decisions: z
    .array(
      z.object({
        timestamp: z.iso.datetime(),
        class: z
          .enum([
            'released',
            'deduplicated',
            'skipped_breaker',
            'skipped_window',
            'deferred_budget',
          ])
          .describe('released: jobs added to the queue'),
        count: count.min(1),
      }),
    )
    .describe(
      'What ticks decided: the jobs they released, and for those they did not run why; newest first; not in health',
    ),
  enabled: z.boolean(),
  intervalMinutes: minutes,
  idleMultiplier: count.describe('Intervals an idle agent waits between syncs (0: never by ticks)'),
  offlineMultiplier: count.describe(
    'Intervals an offline agent waits between syncs (0: never by ticks)',
  ),
  window: workingWindow.nullable().describe('Working hours; null = always'),
  tiers: z
    .object({ active: count, idle: count, offline: count })
    .nullable()
    .describe('Agents per activity tier (null for shared types, or when unknown)'),
  openBreakers: count.nullable().describe('Pairs whose breaker is open or half open'),
});

export const monitoringResponse = z.object({
  success: ok,
  queue: z.object({
    waiting: count,
    active: count,
    completed: count,
    failed: count,
    delayed: count,
    prioritized: count,
  }),
  activeJobs: z.array(z.object({ userId: z.string(), jobId: z.string(), type: syncType })),
  scheduler: z.object({ running: z.boolean(), intervals, enabled }),
  currentSync: syncType.nullable(),
  types: perType(typeStatus),
  leader: z.object({ replicaId: z.string(), isLeader: z.boolean() }),
  erpBreaker: z
    .object({
      state: z.enum(['closed', 'open', 'half_open']),
      since: z.number().int().nullable(),
      openUntil: z.number().int().nullable(),
    })
    .nullable(),
  budget: z
    .object({
      maxInFlight: count.nullable(),
      maxPerMinute: count.nullable(),
      waiting: perType(count).describe('Pairs waiting for the budget (the leader only)'),
      cycleRatio: perType(z.number().min(0).nullable()).describe(
        'Time the budget needs to release the type over its interval; above 1 it cannot keep up (the leader only)',
      ),
    })
    .nullable()
    .describe('The release budget (ERP_MAX_IN_FLIGHT, ERP_MAX_PER_MINUTE); null when none is set'),
});

const epochMs = z.number().int().describe('Epoch milliseconds');
const breakerState = z.enum(BREAKER_STATES);

/** One (type, agent) row; shared types are under `service-account`. Times in epoch ms. */
const pairState = z.object({
  type: syncType,
  userId: z.string(),
  lastEnqueuedAt: epochMs.nullable(),
  lastStartedAt: epochMs.nullable(),
  lastCompletedAt: epochMs.nullable(),
  lastFailedAt: epochMs.nullable(),
  lastFailureReason: z.string().nullable(),
  consecutiveFailures: count,
  recentFailures: z.array(epochMs).describe('Failures within the rolling window, oldest first'),
  breaker: breakerState,
  openUntil: epochMs.nullable().describe('While open: when the next tick may send one probe'),
});

export const agentListResponse = z.object({
  success: ok,
  agents: z.array(pairState).describe('Newest failure first; pairs that never failed last'),
  nextCursor: z.string().nullable(),
});

export const agentResponse = z.object({
  success: ok,
  userId: z.string(),
  rows: z.array(pairState),
});

export const agentResetResponse = z.object({
  success: ok,
  userId: z.string(),
  reset: count.describe('Rows whose breaker or failure counts changed'),
});

export const erpBreakerResponse = z.object({
  success: ok,
  state: breakerState,
  since: epochMs.nullable(),
  openUntil: epochMs.nullable(),
  window: z.object({ outcomes: count, failed: count }),
});

const HOURS_RANGE = `must be between ${MIN_CHART_HOURS} and ${MAX_CHART_HOURS}`;

/** GET /charts/:type: how far back, in whole hours. */
export const chartQuery = z.object({
  hours: z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number of hours' })
    .min(MIN_CHART_HOURS, { error: HOURS_RANGE })
    .max(MAX_CHART_HOURS, { error: HOURS_RANGE })
    .default(DEFAULT_CHART_HOURS),
});

const chartSlot = z.object({
  start: epochMs,
  released: count.describe('Jobs added to the queue'),
  completed: count,
  failed: count.describe('After all its attempts'),
  deduplicated: count.describe('Not added: the previous job was still pending'),
  skippedBreaker: count,
  skippedWindow: count,
  deferredBudget: count,
});

export const chartResponse = z.object({
  success: ok,
  type: syncType,
  hours: z.number().int(),
  intervalMinutes: minutes,
  slotMs: z.number().int().min(1).describe('One interval, or a whole number of them'),
  from: epochMs.describe("The first slot's start"),
  to: epochMs.describe('Now, inside the last slot'),
  budgetPerSlot: z
    .number()
    .min(0)
    .nullable()
    .describe('ERP_MAX_PER_MINUTE × the minutes of a slot; null without a per-minute budget'),
  maxInFlight: count.nullable().describe('ERP_MAX_IN_FLIGHT, a bound on the queue; null if none'),
  historyFrom: epochMs
    .nullable()
    .describe('Before this, retention may have removed rows: slots there can read low'),
  slots: z.array(chartSlot).describe('Oldest first; at most 300'),
});

const OUTCOME_LIMIT_RANGE = `must be between 1 and ${MAX_OUTCOME_LIMIT}`;

export const outcomesQuery = z.object({
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: OUTCOME_LIMIT_RANGE })
    .max(MAX_OUTCOME_LIMIT, { error: OUTCOME_LIMIT_RANGE })
    .default(DEFAULT_OUTCOME_LIMIT),
});

export const agentOutcomesResponse = z.object({
  success: ok,
  userId: z.string(),
  outcomes: z
    .array(
      z.object({
        jobId: z.string(),
        type: syncType,
        finishedAt: epochMs,
        success: z.boolean(),
        durationMs: z.number().nullable(),
        error: z.string().nullable(),
      }),
    )
    .describe('Newest first, every type; empty for an agent the history has nothing of'),
});

/** One accepted change. Times in epoch ms. */
const auditRecord = z.object({
  id: z.number().int(),
  at: epochMs,
  actor: z.string().nullable().describe("The token's sub, else its userId claim"),
  role: z.string(),
  action: z.enum(AUDIT_ACTIONS),
  target: z.string().nullable().describe('The sync type or agent id; null for auto-sync'),
  before: z.unknown().describe('The changed values before (null for a trigger)'),
  after: z.unknown().describe('The changed values after (a trigger: what it enqueued)'),
  requestId: z.string().nullable().describe('The X-Request-Id of the change, as logged'),
});

export const auditListResponse = z.object({
  success: ok,
  entries: z.array(auditRecord).describe('Newest first'),
  nextCursor: z.string().nullable(),
});

/** `subject` is the token's `sub`, null when it has none. */
export const meResponse = z.object({
  success: ok,
  subject: z.string().nullable(),
  role: z.enum(ROLES),
});

export const healthResponse = z.object({ success: ok, status: z.literal('ok') });

export const readinessResponse = z
  .object({
    success: z.boolean(),
    error: z.string().optional(),
    checks: z.record(z.string(), z.enum(['ok', 'unreachable'])),
  })
  .catchall(z.unknown())
  .describe('Plus what the process reports about itself, e.g. { leader, replicaId }');
