/**
 * This replica's right to schedule, as granted by the election: the value the lease key holds
 * while the lease is current, and a local deadline. A fence: whoever enqueues on the leader's
 * behalf checks `isValid()` (monotonic clock) before every batch, and the queue adapter checks
 * in the same atomic step as the add that the lease key still holds `token`.
 */
export interface Lease {
  /** `<replicaId>:<term>`, exactly as the lease key holds it. */
  readonly token: string;
  /** The fencing term: grows with every acquisition. */
  readonly term: number;
  /** False once the lease's local deadline passed or it was given up; never true again. */
  isValid(): boolean;
}

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
  /** The lease this replica holds right now; null while it does not lead. */
  currentLease(): Lease | null;
  /** Identifies this replica in status and logs. */
  readonly replicaId: string;
}

export const LEADER_ELECTION = Symbol.for('sync-scheduler/LeaderElection');
