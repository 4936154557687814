import type { LeaderElection } from '../../domain/ports/leader-election.js';

/** Leadership decided by the test: `setLeader` plays a won or lost election. */
export class InMemoryLeaderElection implements LeaderElection {
  readonly replicaId: string;
  private onChange: ((isLeader: boolean) => void) | undefined;
  private stopped = false;

  constructor(
    private leader = true,
    replicaId = 'in-memory-replica',
  ) {
    this.replicaId = replicaId;
  }

  /** Reports the current leadership at once when it is held, as a won election would. */
  start(onChange: (isLeader: boolean) => void): void {
    if (this.onChange || this.stopped) return;
    this.onChange = onChange;
    if (this.leader) onChange(true);
  }

  isLeader(): boolean {
    return this.onChange !== undefined && !this.stopped && this.leader;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    const wasLeader = this.isLeader();
    this.stopped = true;
    if (wasLeader) this.onChange?.(false);
  }

  /** Before start: what start will find. After start: reported through onChange. */
  setLeader(leader: boolean): void {
    const before = this.isLeader();
    this.leader = leader;
    if (this.isLeader() !== before) this.onChange?.(leader);
  }
}
