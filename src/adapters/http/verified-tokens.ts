/**
 * Tokens already verified, so a dashboard polling every few seconds costs one HMAC per token
 * rather than one per request. An entry lives until the token expires or `maxAgeMs` passes,
 * whichever is first; the oldest entries go when `maxEntries` is reached. Only a token that
 * verified is ever stored, so a forged one is always checked in full.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, { claims: Record<string, unknown>; until: number }>();

  constructor(
    private readonly maxEntries = 1000,
    private readonly maxAgeMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(token: string): Record<string, unknown> | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (this.now() < entry.until) return entry.claims;
    this.entries.delete(token);
    return undefined;
  }

  set(token: string, claims: Record<string, unknown>): void {
    const now = this.now();
    const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : Infinity;
    const until = Math.min(expiresAt, now + this.maxAgeMs);
    if (until <= now) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(token, { claims, until });
  }
}
