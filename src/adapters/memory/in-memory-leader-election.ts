import type { LeaderElection, Lease } from '../../domain/ports/leader-election.js';

/**
 * Leadership decided by the test: `setLeader` plays a won or lost election, `expireLease`
 * a lease whose deadline passed before anybody noticed (a frozen process). `holder()` is what
 * the lease key would hold; an InMemoryJobQueue given it fences like the Redis script does.
 */
export class InMemoryLeaderElection implements LeaderElection {
  readonly replicaId: string;
  private onChange: ((isLeader: boolean) => void) | undefined;
  private stopped = false;
  private term = 0;
  private lease: (Lease & { expire(): void }) | null = null;

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
    if (this.leader) this.grant();
  }

  isLeader(): boolean {
    return this.onChange !== undefined && !this.stopped && this.leader;
  }

  currentLease(): Lease | null {
    return this.isLeader() ? this.lease : null;
  }

  /** The lease key's value: this replica's token while it leads, else null. */
  holder(): string | null {
    return this.isLeader() && this.lease?.isValid() ? this.lease.token : null;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    const wasLeader = this.isLeader();
    this.stopped = true;
    this.revoke();
    if (wasLeader) this.onChange?.(false);
  }

  /** Before start: what start will find. After start: reported through onChange. */
  setLeader(leader: boolean): void {
    const before = this.isLeader();
    this.leader = leader;
    if (this.isLeader() === before) return;
    if (leader) this.grant();
    else {
      this.revoke();
      this.onChange?.(false);
    }
  }

  /** The lease passes its deadline without the election having stepped down yet. */
  expireLease(): void {
    this.lease?.expire();
  }

  private grant(): void {
    this.revoke();
    const term = ++this.term;
    let valid = true;
    this.lease = {
      token: `${this.replicaId}:${term}`,
      term,
      isValid: () => valid,
      expire: () => {
        valid = false;
      },
    };
    this.onChange?.(true);
  }

  private revoke(): void {
    this.lease?.expire();
    this.lease = null;
  }
}
