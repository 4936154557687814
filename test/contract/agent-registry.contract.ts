import { describe, expect, it } from 'vitest';
import type { AgentRegistry } from '../../src/domain/ports/agent-registry.js';

export interface AgentRow {
  readonly id: string;
  readonly username: string;
  readonly whitelisted: boolean;
}

export interface AgentRegistryFixture {
  readonly registry: AgentRegistry;
  cleanup(): Promise<void>;
}

/** What every AgentRegistry must do; `makeRegistry` seeds exactly the given users. */
export function describeAgentRegistryContract(
  name: string,
  makeRegistry: (agents: readonly AgentRow[]) => Promise<AgentRegistryFixture>,
): void {
  describe(name, () => {
    const listWith = async (agents: readonly AgentRow[]): Promise<readonly string[]> => {
      const { registry, cleanup } = await makeRegistry(agents);
      try {
        return await registry.listActiveAgentIds();
      } finally {
        await cleanup();
      }
    };

    it('lists only whitelisted agents', async () => {
      const ids = await listWith([
        { id: 'a-1', username: 'anna', whitelisted: true },
        { id: 'a-2', username: 'bruno', whitelisted: false },
        { id: 'a-3', username: 'carla', whitelisted: true },
      ]);
      expect(ids).toEqual(['a-1', 'a-3']);
    });

    it('orders agents by username, not by id or insertion', async () => {
      const ids = await listWith([
        { id: 'a-1', username: 'zoe', whitelisted: true },
        { id: 'a-3', username: 'marco', whitelisted: true },
        { id: 'a-2', username: 'alba', whitelisted: true },
      ]);
      expect(ids).toEqual(['a-2', 'a-3', 'a-1']);
    });

    it('returns an empty list when there are no users', async () => {
      expect(await listWith([])).toEqual([]);
    });

    it('returns an empty list when no user is whitelisted', async () => {
      const ids = await listWith([
        { id: 'a-1', username: 'anna', whitelisted: false },
        { id: 'a-2', username: 'bruno', whitelisted: false },
      ]);
      expect(ids).toEqual([]);
    });
  });
}
