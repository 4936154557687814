import type { ClearWorkingWindow } from '../../../application/clear-working-window.js';
import type { GetTypeSettings } from '../../../application/get-type-settings.js';
import type { SetWorkingWindow } from '../../../application/set-working-window.js';
import { SYNC_TYPES, type SyncType } from '../../../domain/sync-types.js';
import type { WorkingWindow } from '../../../domain/working-hours.js';
import { auditContextOf } from '../audit-context.js';
import * as s from '../schemas.js';
import { parseInput } from '../validation.js';
import type { Route } from './route.js';

export interface WindowUseCases {
  readonly getTypeSettings: GetTypeSettings;
  readonly setWorkingWindow: SetWorkingWindow;
  readonly clearWorkingWindow: ClearWorkingWindow;
}

const BASE = '/api/sync/windows';
const AUTH = [401, 403];

const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** "Mon–Fri", "Mon, Wed, Fri", "Fri–Sun": runs of three or more days as a range. */
function describeDays(days: readonly number[]): string {
  const runs: number[][] = [];
  for (const day of days) {
    const last = runs.at(-1);
    if (last && last.at(-1) === day - 1) last.push(day);
    else runs.push([day]);
  }
  const name = (day: number | undefined) => DAY_NAMES[(day ?? 1) - 1] ?? String(day);
  return runs
    .flatMap((run) =>
      run.length >= 3 ? [`${name(run[0])}–${name(run.at(-1))}`] : run.map((d) => name(d)),
    )
    .join(', ');
}

/** E.g. "Mon–Fri 07:00–20:00 Europe/Rome", as the dashboard shows it too. */
export const describeWindow = (window: WorkingWindow): string =>
  `${describeDays(window.days)} ${window.from}–${window.to} ${window.timeZone}`;

/** Working hours per type: read all, set one (the body is the window), clear one. */
export function windowRoutes(u: WindowUseCases): Route[] {
  return [
    {
      method: 'get',
      path: BASE,
      summary: "Every type's working hours (null: it may sync at any hour)",
      auth: true,
      success: { status: 200, description: 'Windows in force', schema: s.windowsResponse },
      // 503 until this replica has loaded the stored settings (booting without PostgreSQL).
      errors: [...AUTH, 503],
      handle: async (ctx) => {
        const settings = await u.getTypeSettings.execute();
        const windows = Object.fromEntries(SYNC_TYPES.map((t) => [t, settings[t].window]));
        ctx.body = { success: true, windows };
      },
    },
    {
      method: 'put',
      path: `${BASE}/:type`,
      summary: "Set a type's working hours: ticks outside them enqueue nothing",
      auth: true,
      params: s.syncTypeParams,
      body: { schema: s.workingWindowBody, required: true },
      success: { status: 200, description: 'Stored and applied', schema: s.windowResponse },
      errors: [...AUTH, 400, 413, 415, 503],
      handle: async (ctx) => {
        const { type } = parseInput(s.syncTypeParams, ctx.params);
        const window = parseInput(s.workingWindowBody, ctx.request.body);
        const audit = auditContextOf(ctx);
        const result = await u.setWorkingWindow.execute({ type, window, audit });
        ctx.body = { success: true, ...result, message: message(result.type, result.window) };
      },
    },
    {
      method: 'delete',
      path: `${BASE}/:type`,
      summary: "Clear a type's working hours: it may sync at any hour again (idempotent)",
      auth: true,
      params: s.syncTypeParams,
      success: { status: 200, description: 'Stored and applied', schema: s.windowResponse },
      errors: [...AUTH, 400, 503],
      handle: async (ctx) => {
        const { type } = parseInput(s.syncTypeParams, ctx.params);
        const audit = auditContextOf(ctx);
        const result = await u.clearWorkingWindow.execute({ type, audit });
        ctx.body = { success: true, ...result, message: message(result.type, result.window) };
      },
    },
  ];
}

const message = (type: SyncType, window: WorkingWindow | null): string =>
  window
    ? `Working window for ${type} set to ${describeWindow(window)}`
    : `Working window for ${type} cleared: it may sync at any hour`;
