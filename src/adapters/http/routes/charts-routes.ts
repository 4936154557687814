import type { GetAgentOutcomes } from '../../../application/get-agent-outcomes.js';
import type { GetCharts } from '../../../application/get-charts.js';
import type { SyncEvent } from '../../../domain/ports/sync-history.js';
import * as s from '../schemas.js';
import { parseInput } from '../validation.js';
import type { Route } from './route.js';

export interface ChartUseCases {
  readonly getCharts: GetCharts;
  readonly getAgentOutcomes: GetAgentOutcomes;
}

const BASE = '/api/sync';
const AUTH = [401, 403];

/** Field by field, so that the API shows only what it documents. */
const outcomeJson = (event: SyncEvent) => ({
  jobId: event.jobId,
  type: event.type,
  finishedAt: event.finishedAt,
  success: event.success,
  durationMs: event.durationMs,
  error: event.error,
});

/** The data behind the dashboard's pictures: reads only, so a viewer may ask too. */
export function chartRoutes(u: ChartUseCases): Route[] {
  return [
    {
      method: 'get',
      path: `${BASE}/charts/:type`,
      summary:
        "One type's last hours per slot: jobs released, completed, failed, and what ticks held back",
      auth: true,
      params: s.syncTypeParams,
      query: s.chartQuery,
      success: { status: 200, description: 'The slots, oldest first', schema: s.chartResponse },
      errors: [...AUTH, 400, 503],
      handle: async (ctx) => {
        const { type } = parseInput(s.syncTypeParams, ctx.params);
        const { hours } = parseInput(s.chartQuery, ctx.query);
        ctx.body = { success: true, ...(await u.getCharts.execute(type, hours)) };
      },
    },
    {
      method: 'get',
      path: `${BASE}/agents/:userId/outcomes`,
      summary:
        "One agent's newest outcomes of every type (completed, or failed after its attempts)",
      auth: true,
      params: s.userIdParams,
      query: s.outcomesQuery,
      success: { status: 200, description: 'Newest first', schema: s.agentOutcomesResponse },
      errors: [...AUTH, 400, 503],
      handle: async (ctx) => {
        const { userId } = parseInput(s.userIdParams, ctx.params);
        const { limit } = parseInput(s.outcomesQuery, ctx.query);
        const outcomes = await u.getAgentOutcomes.execute(userId, limit);
        ctx.body = { success: true, userId, outcomes: outcomes.map(outcomeJson) };
      },
    },
  ];
}
