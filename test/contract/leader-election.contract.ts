import { describe, expect, it, vi } from 'vitest';
import type { LeaderElection } from '../../src/domain/ports/leader-election.js';

export interface LeaderElectionFixture {
  readonly election: LeaderElection;
  cleanup(): Promise<void>;
}

/** What every LeaderElection must do alone; `makeElection` hands out one nobody contests. */
export function describeLeaderElectionContract(
  name: string,
  makeElection: () => Promise<LeaderElectionFixture>,
): void {
  describe(name, () => {
    const withElection = async (test: (election: LeaderElection) => Promise<void>) => {
      const { election, cleanup } = await makeElection();
      try {
        await test(election);
      } finally {
        await election.stop();
        await cleanup();
      }
    };

    it('is not leader before it starts', () =>
      withElection(async (election) => {
        expect(election.isLeader()).toBe(false);
      }));

    it('wins an uncontested election and reports it once', () =>
      withElection(async (election) => {
        const changes: boolean[] = [];
        election.start((isLeader) => changes.push(isLeader));

        await vi.waitFor(() => expect(election.isLeader()).toBe(true), { timeout: 5_000 });
        expect(changes).toEqual([true]);
      }));

    it('reports the loss when stopped, and is leader no more', () =>
      withElection(async (election) => {
        const changes: boolean[] = [];
        election.start((isLeader) => changes.push(isLeader));
        await vi.waitFor(() => expect(election.isLeader()).toBe(true), { timeout: 5_000 });

        await election.stop();

        expect(changes).toEqual([true, false]);
        expect(election.isLeader()).toBe(false);
      }));

    it('does not campaign again once stopped', () =>
      withElection(async (election) => {
        const changes: boolean[] = [];
        await election.stop();
        election.start((isLeader) => changes.push(isLeader));
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(changes).toEqual([]);
        expect(election.isLeader()).toBe(false);
      }));

    it('takes stop twice, or stop before start, without complaint', () =>
      withElection(async (election) => {
        await election.stop();
        await election.stop();
      }));

    describe('currentLease', () => {
      it('is null before it starts', () =>
        withElection(async (election) => {
          expect(election.currentLease()).toBeNull();
        }));

      it('is a valid lease whose token is the replica and the term while it leads', () =>
        withElection(async (election) => {
          election.start(() => {});
          await vi.waitFor(() => expect(election.isLeader()).toBe(true), { timeout: 5_000 });

          const lease = election.currentLease();
          expect(lease).not.toBeNull();
          expect(lease!.term).toBeGreaterThan(0);
          expect(Number.isInteger(lease!.term)).toBe(true);
          expect(lease!.token).toBe(`${election.replicaId}:${lease!.term}`);
          expect(lease!.isValid()).toBe(true);
        }));

      it('is given up by stop: the lease held turns invalid, and there is none after', () =>
        withElection(async (election) => {
          election.start(() => {});
          await vi.waitFor(() => expect(election.isLeader()).toBe(true), { timeout: 5_000 });
          const lease = election.currentLease()!;

          await election.stop();

          expect(lease.isValid()).toBe(false);
          expect(election.currentLease()).toBeNull();
        }));
    });

    it('names its replica', () =>
      withElection(async (election) => {
        expect(election.replicaId).toMatch(/\S/);
      }));
  });
}
