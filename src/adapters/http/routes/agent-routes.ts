import type { GetAgent } from '../../../application/get-agent.js';
import type { GetErpBreaker } from '../../../application/get-erp-breaker.js';
import type { ListAgents } from '../../../application/list-agents.js';
import type { ResetAgent } from '../../../application/reset-agent.js';
import type { PairState } from '../../../domain/breakers.js';
import { auditContextOf } from '../audit-context.js';
import * as s from '../schemas.js';
import { parseInput } from '../validation.js';
import type { Route } from './route.js';

export interface AgentUseCases {
  readonly listAgents: ListAgents;
  readonly getAgent: GetAgent;
  readonly resetAgent: ResetAgent;
  readonly getErpBreaker: GetErpBreaker;
}

const BASE = '/api/sync';
const AUTH = [401, 403];

/** Field by field, so a store that keeps more (ids, versions) never leaks it into the API. */
const pairJson = (row: PairState) => ({
  type: row.type,
  userId: row.userId,
  lastEnqueuedAt: row.lastEnqueuedAt,
  lastStartedAt: row.lastStartedAt,
  lastCompletedAt: row.lastCompletedAt,
  lastFailedAt: row.lastFailedAt,
  lastFailureReason: row.lastFailureReason,
  consecutiveFailures: row.consecutiveFailures,
  recentFailures: [...row.recentFailures],
  breaker: row.breaker,
  openUntil: row.openUntil,
});

/** Per-agent sync state and the breakers: each handler translates HTTP to a use case. */
export function agentRoutes(u: AgentUseCases): Route[] {
  return [
    {
      method: 'get',
      path: `${BASE}/agents`,
      summary: '(type, agent) rows, newest failure first, by type and breaker state or stale',
      auth: true,
      query: s.agentListQuery,
      success: { status: 200, description: 'One page of rows', schema: s.agentListResponse },
      errors: [...AUTH, 400, 503],
      handle: async (ctx) => {
        const query = parseInput(s.agentListQuery, ctx.query);
        const page = await u.listAgents.execute(query);
        ctx.body = { success: true, agents: page.items.map(pairJson), nextCursor: page.nextCursor };
      },
    },
    {
      method: 'get',
      path: `${BASE}/agents/:userId`,
      summary: "Every row of one agent: its agent types and the shared types' rows",
      auth: true,
      params: s.userIdParams,
      success: { status: 200, description: "The agent's rows", schema: s.agentResponse },
      errors: [...AUTH, 400, 404, 503],
      handle: async (ctx) => {
        const { userId } = parseInput(s.userIdParams, ctx.params);
        const rows = await u.getAgent.execute(userId);
        ctx.body = { success: true, userId, rows: rows.map(pairJson) };
      },
    },
    {
      method: 'post',
      path: `${BASE}/agents/:userId/reset`,
      summary: 'Close every breaker of one agent and clear its failure counts (idempotent)',
      auth: true,
      params: s.userIdParams,
      success: { status: 200, description: 'Reset', schema: s.agentResetResponse },
      errors: [...AUTH, 400, 404, 503],
      handle: async (ctx) => {
        const { userId } = parseInput(s.userIdParams, ctx.params);
        const result = await u.resetAgent.execute(userId, auditContextOf(ctx));
        ctx.body = { success: true, ...result };
      },
    },
    {
      method: 'get',
      path: `${BASE}/erp-breaker`,
      summary: 'The fleet-wide ERP breaker: state, since when, and the outcomes it weighs',
      auth: true,
      success: { status: 200, description: 'ERP breaker', schema: s.erpBreakerResponse },
      errors: [...AUTH, 503],
      handle: async (ctx) => {
        ctx.body = { success: true, ...(await u.getErpBreaker.execute()) };
      },
    },
  ];
}
