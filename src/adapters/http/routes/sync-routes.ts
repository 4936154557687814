import type { GetAutoSyncStatus } from '../../../application/get-auto-sync-status.js';
import type { GetIntervals } from '../../../application/get-intervals.js';
import type { GetMonitoringStatus } from '../../../application/get-monitoring-status.js';
import type { SetSyncEnabled } from '../../../application/set-sync-enabled.js';
import type { StartAutoSync } from '../../../application/start-auto-sync.js';
import type { StopAutoSync } from '../../../application/stop-auto-sync.js';
import type { TriggerSync } from '../../../application/trigger-sync.js';
import type { UpdateInterval, UpdatedTypeSettings } from '../../../application/update-interval.js';
import { SYNC_TYPES, type SyncType } from '../../../domain/sync-types.js';
import { auditContextOf } from '../audit-context.js';
import * as s from '../schemas.js';
import { parseInput } from '../validation.js';
import type { AuditUseCases } from './audit-routes.js';
import type { Route } from './route.js';
import type { WindowUseCases } from './windows-routes.js';

/** Every use case the admin API drives (the agent routes have their own). */
export interface SyncUseCases extends WindowUseCases, AuditUseCases {
  readonly startAutoSync: StartAutoSync;
  readonly stopAutoSync: StopAutoSync;
  readonly getAutoSyncStatus: GetAutoSyncStatus;
  readonly getIntervals: GetIntervals;
  readonly updateInterval: UpdateInterval;
  readonly triggerSync: TriggerSync;
  readonly getMonitoringStatus: GetMonitoringStatus;
  readonly setSyncEnabled: SetSyncEnabled;
}

const BASE = '/api/sync';
const AUTH = [401, 403];
const BODY = [400, 413, 415];

/** The admin API: each handler only translates HTTP to a use case and back. */
export function syncRoutes(u: SyncUseCases): Route[] {
  const ok = (description: string, schema: Route['success']['schema'], status = 200) => ({
    status,
    description,
    schema,
  });
  return [
    {
      method: 'get',
      path: `${BASE}/auto-sync/status`,
      summary: 'Whether the scheduler runs, its intervals (minutes) and which types are enabled',
      auth: true,
      success: ok('Scheduler state', s.autoSyncStatusResponse),
      errors: AUTH,
      handle: async (ctx) => {
        ctx.body = { success: true, ...(await u.getAutoSyncStatus.execute()) };
      },
    },
    {
      method: 'post',
      path: `${BASE}/auto-sync/start`,
      summary: 'Start every timer with the intervals saved in the database (idempotent)',
      auth: true,
      success: ok('Started', s.startResponse),
      errors: [...AUTH, 503],
      handle: async (ctx) => {
        const audit = auditContextOf(ctx);
        ctx.body = { success: true, ...(await u.startAutoSync.execute({ audit })) };
      },
    },
    {
      method: 'post',
      path: `${BASE}/auto-sync/stop`,
      summary: 'Stop every timer (idempotent); enqueued jobs are left to the workers',
      auth: true,
      success: ok('Stopped', s.stopResponse),
      // "Stopped" is stored for every replica first, so an unreachable store is a 503.
      errors: [...AUTH, 503],
      handle: async (ctx) => {
        const audit = auditContextOf(ctx);
        ctx.body = { success: true, ...(await u.stopAutoSync.execute({ audit })) };
      },
    },
    {
      method: 'get',
      path: `${BASE}/intervals`,
      summary:
        'Per sync type: interval (minutes), enabled, idle and offline multipliers, working window',
      auth: true,
      success: ok('Settings in force', s.intervalsResponse),
      // 503 until this replica has loaded the stored settings (booting without PostgreSQL):
      // the built-in defaults it falls back on are not the settings in force.
      errors: [...AUTH, 503],
      handle: async (ctx) => {
        const [intervals, { enabled }, settings] = await Promise.all([
          u.getIntervals.execute(),
          u.getAutoSyncStatus.execute(),
          u.getTypeSettings.execute(),
        ]);
        const each = <K extends keyof (typeof settings)[SyncType]>(key: K) =>
          Object.fromEntries(SYNC_TYPES.map((type) => [type, settings[type][key]]));
        ctx.body = {
          success: true,
          intervals,
          enabled,
          idleMultipliers: each('idleMultiplier'),
          offlineMultipliers: each('offlineMultiplier'),
          windows: each('window'),
        };
      },
    },
    {
      method: 'post',
      path: `${BASE}/intervals/:type`,
      summary:
        "Store a type's interval and/or idle and offline multipliers (one change), then apply them from its next cycle",
      auth: true,
      params: s.syncTypeParams,
      body: { schema: s.updateIntervalBody, required: true },
      success: ok('Stored and applied', s.updateIntervalResponse),
      errors: [...AUTH, ...BODY, 503],
      handle: async (ctx) => {
        const { type } = parseInput(s.syncTypeParams, ctx.params);
        const body = parseInput(s.updateIntervalBody, ctx.request.body);
        const { intervalMinutes, idleMultiplier, offlineMultiplier } = body;
        const result = await u.updateInterval.execute({
          type,
          intervalMinutes,
          idleMultiplier,
          offlineMultiplier,
          audit: auditContextOf(ctx),
        });
        ctx.body = { success: true, message: updatedMessage(body, result), ...result };
      },
    },
    {
      method: 'post',
      path: `${BASE}/trigger/:type`,
      summary: 'Enqueue a type now: every agent, one agent (userId), or the shared job',
      auth: true,
      params: s.syncTypeParams,
      body: { schema: s.triggerBody, required: false },
      success: ok('Enqueued (duplicates of pending jobs are not added)', s.triggerResponse, 202),
      errors: [...AUTH, ...BODY, 404, 503],
      handle: async (ctx) => {
        const { type } = parseInput(s.syncTypeParams, ctx.params);
        const { userId } = parseInput(s.triggerBody, ctx.request.body);
        const result = await u.triggerSync.execute({ type, userId, audit: auditContextOf(ctx) });
        ctx.status = 202;
        ctx.body = { success: true, ...result };
      },
    },
    setEnabledRoute(u, false),
    setEnabledRoute(u, true),
    {
      method: 'get',
      path: `${BASE}/monitoring/status`,
      summary: 'Queue counts, active jobs, leadership, and per-type schedule, health and history',
      auth: true,
      query: s.monitoringQuery,
      success: ok('Monitoring snapshot', s.monitoringResponse),
      errors: [...AUTH, 400, 503],
      handle: async (ctx) => {
        const { limit } = parseInput(s.monitoringQuery, ctx.query);
        const status = await u.getMonitoringStatus.execute({ historyLimit: limit });
        ctx.body = { success: true, ...status };
      },
    },
  ];
}

/** The message of the interval-only body is the one it always was. */
function updatedMessage(
  body: { intervalMinutes?: number; idleMultiplier?: number; offlineMultiplier?: number },
  result: UpdatedTypeSettings,
): string {
  const { type, intervalMinutes, idleMultiplier, offlineMultiplier } = result;
  if (body.idleMultiplier === undefined && body.offlineMultiplier === undefined) {
    return `Interval for ${type} set to ${intervalMinutes} minutes`;
  }
  const parts = [
    body.intervalMinutes !== undefined && `interval ${intervalMinutes} minutes`,
    body.idleMultiplier !== undefined && `idle multiplier ${idleMultiplier}`,
    body.offlineMultiplier !== undefined && `offline multiplier ${offlineMultiplier}`,
  ].filter(Boolean);
  return `Settings for ${type} set: ${parts.join(', ')}`;
}

/** POST /pause/:type and /resume/:type: no body, the path says it all; idempotent. */
function setEnabledRoute(u: SyncUseCases, enabled: boolean): Route {
  const action = enabled ? 'resume' : 'pause';
  const done = enabled ? 'resumed' : 'paused';
  return {
    method: 'post',
    path: `${BASE}/${action}/:type`,
    summary: enabled
      ? 'Resume a paused type: it ticks again on its schedule (at once if overdue)'
      : 'Pause one type: no ticks until resumed; other types and queued jobs are untouched',
    auth: true,
    params: s.syncTypeParams,
    success: { status: 200, description: `Stored and ${done}`, schema: s.setEnabledResponse },
    errors: [...AUTH, 400, 503],
    handle: async (ctx) => {
      const { type } = parseInput(s.syncTypeParams, ctx.params);
      const audit = auditContextOf(ctx);
      const result = await u.setSyncEnabled.execute({ type, enabled, audit });
      ctx.body = { success: true, ...result, message: `Auto-sync of ${result.type} ${done}` };
    },
  };
}
