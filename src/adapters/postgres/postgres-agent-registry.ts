import { inject, injectable } from 'inversify';
import type { Pool } from 'pg';
import type { AgentRegistry } from '../../domain/ports/agent-registry.js';
import { unreachableAs } from '../unreachable.js';
import { PG_POOL } from './tokens.js';

@injectable()
export class PostgresAgentRegistry implements AgentRegistry {
  constructor(@inject(PG_POOL) private readonly pool: Pool) {}

  listActiveAgentIds(): Promise<readonly string[]> {
    return unreachableAs(
      'The agent list could not be read: the database is unreachable.',
      async () => {
        // `id` breaks ties between equal usernames so the order (and job spreading) is stable.
        const { rows } = await this.pool.query<{ id: string }>(
          'select id from agents.users where whitelisted order by username, id',
        );
        return rows.map((row) => row.id);
      },
    );
  }
}
