/**
 * Something that must start and stop with the process: a listening server, a migration, a
 * connection to close, a timer to cancel. Each adapter package's container module binds its
 * own under PROCESS_COMPONENT; the Service starts them all in `order` and stops them in
 * reverse, knowing nothing else about them.
 */
export interface ProcessComponent {
  readonly name: string;
  /** Boot position (see BOOT_ORDER): lower starts first, and stops last. */
  readonly order: number;
  /**
   * Brings the component up; may wait (for a dependency, a lock). Must give up promptly when
   * `signal` aborts (shutdown during boot) and arm nothing after that.
   */
  start?(signal: AbortSignal): Promise<void>;
  /** First step of shutdown, for every component before any stop(): refuse new work. */
  quiesce?(): void;
  /**
   * Releases what the component holds. Called for every component at shutdown, also when
   * its start never ran, is still in flight or failed: it must be safe in each case.
   */
  stop?(): Promise<void>;
}

export const PROCESS_COMPONENT = Symbol.for('sync-scheduler/ProcessComponent');

/**
 * Boot order; shutdown runs it backwards: leadership is given up and timers stop before the
 * ticks drain, HTTP closes after them, connections close last.
 */
export const BOOT_ORDER = {
  /** Pools and clients: built with the container, closed last. */
  connections: 0,
  /** Listens first, so /healthz and /readyz answer while dependencies are late. */
  http: 10,
  dependencies: 20,
  migrations: 30,
  secrets: 40,
  desiredState: 50,
  scheduling: 60,
  leadership: 70,
  housekeeping: 80,
} as const;

/**
 * Told of every leadership change, right after the scheduler (multi-bound under
 * LEADERSHIP_FOLLOWER), e.g. the single history writer. Must not throw.
 */
export interface LeadershipFollower {
  onLeadership(isLeader: boolean): void;
}
