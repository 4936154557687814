import { describe, expect, it } from 'vitest';
import type { AgentRegistry } from '../../src/domain/ports/agent-registry.js';

export interface AgentRow {
  readonly id: string;
  readonly username: string;
  readonly whitelisted: boolean;
  /** Epoch ms; omitted or null: never seen. */
  readonly lastActivityAt?: number | null;
}

/** recorded: the host keeps each agent's last activity; missing: it has no such column. */
export type HostActivity = 'recorded' | 'missing';

export interface AgentRegistryFixture {
  readonly registry: AgentRegistry;
  cleanup(): Promise<void>;
}

/** What every AgentRegistry must do; `makeRegistry` seeds exactly the given users. */
export function describeAgentRegistryContract(
  name: string,
  makeRegistry: (
    agents: readonly AgentRow[],
    activity: HostActivity,
  ) => Promise<AgentRegistryFixture>,
): void {
  describe(name, () => {
    const withRegistry = async <T>(
      agents: readonly AgentRow[],
      use: (registry: AgentRegistry) => Promise<T>,
      activity: HostActivity = 'recorded',
    ): Promise<T> => {
      const { registry, cleanup } = await makeRegistry(agents, activity);
      try {
        return await use(registry);
      } finally {
        await cleanup();
      }
    };
    const listWith = (agents: readonly AgentRow[]) =>
      withRegistry(agents, (registry) => registry.listActiveAgentIds());

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

    describe('listAgents', () => {
      const SEEN = Date.UTC(2026, 11, 1, 9, 30, 15, 123);
      const fleet: AgentRow[] = [
        { id: 'a-1', username: 'zoe', whitelisted: true, lastActivityAt: SEEN },
        { id: 'a-2', username: 'bruno', whitelisted: false, lastActivityAt: SEEN },
        { id: 'a-3', username: 'marco', whitelisted: true, lastActivityAt: null },
        { id: 'a-4', username: 'alba', whitelisted: true, lastActivityAt: SEEN - 86_400_000 },
        { id: 'a-5', username: 'marco', whitelisted: true },
      ];

      it('gives the same agents in the same order as listActiveAgentIds, with their activity', () =>
        withRegistry(fleet, async (registry) => {
          const agents = await registry.listAgents();
          expect(agents).toEqual([
            { id: 'a-4', lastActivityAt: SEEN - 86_400_000 },
            { id: 'a-3', lastActivityAt: null },
            { id: 'a-5', lastActivityAt: null },
            { id: 'a-1', lastActivityAt: SEEN },
          ]);
          expect(agents.map((agent) => agent.id)).toEqual(await registry.listActiveAgentIds());
          expect(await registry.activityKnown()).toBe(true);
        }));

      it('keeps the millisecond of the last activity', () =>
        withRegistry([fleet[0] as AgentRow], async (registry) => {
          expect((await registry.listAgents())[0]?.lastActivityAt).toBe(SEEN);
        }));

      it('returns an empty list when there are no users, activity still known', () =>
        withRegistry([], async (registry) => {
          expect(await registry.listAgents()).toEqual([]);
          expect(await registry.activityKnown()).toBe(true);
        }));

      it('says activity is unknown, and gives every agent null, when the host records none', () =>
        withRegistry(
          fleet,
          async (registry) => {
            expect(await registry.activityKnown()).toBe(false);
            expect(await registry.listAgents()).toEqual([
              { id: 'a-4', lastActivityAt: null },
              { id: 'a-3', lastActivityAt: null },
              { id: 'a-5', lastActivityAt: null },
              { id: 'a-1', lastActivityAt: null },
            ]);
            expect(await registry.listActiveAgentIds()).toEqual(['a-4', 'a-3', 'a-5', 'a-1']);
          },
          'missing',
        ));
    });
  });
}
