/**
 * Exactly one replica schedules. Losing leadership is reported before another replica can
 * gain it (the holder notices it lost its lock or connection before the lock is released).
 */
export interface LeaderElection {
  /** Begins campaigning; `onChange` runs on every gain or loss. Never rejects. */
  start(onChange: (isLeader: boolean) => void): void;
  /** Gives leadership up (if held) and stops campaigning. */
  stop(): Promise<void>;
  isLeader(): boolean;
  /** Identifies this replica in status and logs. */
  readonly replicaId: string;
}

export const LEADER_ELECTION = Symbol.for('sync-scheduler/LeaderElection');
