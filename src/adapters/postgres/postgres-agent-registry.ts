import { inject, injectable, optional } from 'inversify';
import { escapeIdentifier, type Pool } from 'pg';
import type { AgentActivity } from '../../domain/activity.js';
import type { AgentRegistry } from '../../domain/ports/agent-registry.js';
import type { ComponentLog } from '../observability/component-log.js';
import { unreachableAs } from '../unreachable.js';
import { AGENT_ACTIVITY, PG_POOL } from './tokens.js';

export const DEFAULT_ACTIVITY_COLUMN = 'last_activity_at';

/** Where the host application keeps each agent's last activity, and where to say what we found. */
export interface AgentActivitySource {
  /** A column of agents.users, timestamptz or timestamp (default last_activity_at). */
  readonly column?: string;
  readonly log?: ComponentLog;
}

const UNREACHABLE = 'The agent list could not be read: the database is unreachable.';
const TIMESTAMP_TYPES = new Set(['timestamp with time zone', 'timestamp without time zone']);
// `id` breaks ties between equal usernames so the order (and job spreading) is stable.
const ORDER = 'from agents.users where whitelisted order by username, id';

/**
 * The whitelisted agents in agents.users, which usually belongs to the host application.
 * Whether it has the activity column (and of a timestamp type) is read from
 * information_schema once, at first use, and kept for the life of the process (adding the
 * column takes a restart to be seen); a check that failed is not kept, the next call retries.
 * A `timestamp without time zone` is read in the session's time zone (the server's
 * `timezone` setting), as the host's own sessions most likely wrote it.
 */
@injectable()
export class PostgresAgentRegistry implements AgentRegistry {
  private readonly column: string;
  private readonly log: ComponentLog;
  /** The select expression of the activity, or null when there is none. */
  private activity: Promise<string | null> | undefined;

  constructor(
    @inject(PG_POOL) private readonly pool: Pool,
    // Optional: without a binding, last_activity_at and no log.
    @inject(AGENT_ACTIVITY) @optional() source: AgentActivitySource = {},
  ) {
    this.column = source.column ?? DEFAULT_ACTIVITY_COLUMN;
    this.log = source.log ?? (() => {});
  }

  listActiveAgentIds(): Promise<readonly string[]> {
    return unreachableAs(UNREACHABLE, async () => {
      const { rows } = await this.pool.query<{ id: string }>(`select id ${ORDER}`);
      return rows.map((row) => row.id);
    });
  }

  listAgents(): Promise<readonly AgentActivity[]> {
    return unreachableAs(UNREACHABLE, async () => {
      const activity = await this.activityExpression();
      const { rows } = await this.pool.query<{ id: string; last_activity_ms: number | null }>(
        `select id, ${activity ?? 'null::float8'} as last_activity_ms ${ORDER}`,
      );
      return rows.map((row) => ({
        id: row.id,
        // ±infinity is a timestamp too; neither says when the agent was last seen.
        lastActivityAt:
          row.last_activity_ms !== null && Number.isFinite(row.last_activity_ms)
            ? row.last_activity_ms
            : null,
      }));
    });
  }

  activityKnown(): Promise<boolean> {
    return unreachableAs(UNREACHABLE, async () => (await this.activityExpression()) !== null);
  }

  private activityExpression(): Promise<string | null> {
    this.activity ??= this.checkColumn().catch((error: unknown) => {
      this.activity = undefined;
      throw error;
    });
    return this.activity;
  }

  private async checkColumn(): Promise<string | null> {
    const { rows } = await this.pool.query<{ data_type: string }>(
      `select data_type from information_schema.columns
       where table_schema = 'agents' and table_name = 'users' and column_name = $1`,
      [this.column],
    );
    const type = rows[0]?.data_type;
    if (type === undefined) {
      this.log(
        `agents.users has no column ${this.column}: every agent counts as active for the activity tiers`,
        'warn',
      );
      return null;
    }
    if (!TIMESTAMP_TYPES.has(type)) {
      this.log(
        `agents.users.${this.column} is ${type}, not a timestamp: every agent counts as active for the activity tiers`,
        'warn',
      );
      return null;
    }
    this.log(
      `agents.users.${this.column} (${type}) gives each agent's last activity for the activity tiers`,
      'info',
    );
    return `floor(extract(epoch from ${escapeIdentifier(this.column)}::timestamptz) * 1000)::float8`;
  }
}
