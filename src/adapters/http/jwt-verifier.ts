import { jwtVerify, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import { ALGORITHM, secretKey, type Secret, type SecretKey } from './auth.js';
import { HttpProblem } from './http-problem.js';
import { refusalOf, TokenRefused } from './token-refusal.js';

export type Claims = JWTPayload & Record<string, unknown>;

export interface JwtRules {
  /** Longest lifetime accepted: exp - iat, or exp - now for a token without iat (seconds). */
  readonly maxTtlS: number;
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
}

export interface JwtVerifierOptions extends Partial<JwtRules> {
  /** Known at construction (JWT_SECRET); otherwise given later with setSecret. */
  readonly secret?: Secret | undefined;
  /** Wall clock in ms, for the claims and the cache alike (tests pass a manual one). */
  readonly now?: () => number;
  readonly cacheMax?: number;
  readonly cacheTtlMs?: number;
}

/** The configuration fields the verifier reads (structural: adapters do not import config). */
export interface JwtConfig {
  readonly jwtSecret: string | undefined;
  readonly jwtMaxTtlS: number;
  readonly jwtIssuer: string | undefined;
  readonly jwtAudience: string | undefined;
}

export const DEFAULT_MAX_TTL_S = 86_400;
/** How far in the future an `iat` may be, for clock skew between hosts. */
const IAT_SKEW_S = 60;

/**
 * Verifies admin tokens against a key that may arrive after the HTTP server starts (the
 * generated secret lives in PostgreSQL, read once the boot wait is over). Verified tokens are
 * cached, so a dashboard polling every few seconds costs one HMAC per token rather than one
 * per request; only a token that passed every check is stored, so a forged one is always
 * checked in full, and a new key empties the cache.
 */
export class JwtVerifier {
  private key: Promise<SecretKey> | undefined;
  private secret: Uint8Array | undefined;
  private generation = 0;
  private readonly rules: JwtRules;
  private readonly now: () => number;
  private readonly verified: LRUCache<string, Claims>;

  constructor(options: JwtVerifierOptions = {}) {
    this.rules = {
      maxTtlS: options.maxTtlS ?? DEFAULT_MAX_TTL_S,
      issuer: options.issuer,
      audience: options.audience,
    };
    this.now = options.now ?? Date.now;
    this.verified = new LRUCache<string, Claims>({
      max: options.cacheMax ?? 1000,
      ttl: options.cacheTtlMs ?? 60_000,
      ttlAutopurge: false,
      // Read the clock on every get rather than lru-cache's value cached for 1 ms (exact TTLs).
      ttlResolution: 0,
      perf: { now: this.now },
    });
    if (options.secret !== undefined) this.setSecret(options.secret);
  }

  static fromConfig(config: JwtConfig): JwtVerifier {
    return new JwtVerifier({
      secret: config.jwtSecret,
      maxTtlS: config.jwtMaxTtlS,
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
    });
  }

  /** False until a secret is known: the admin API answers 503 meanwhile. */
  get ready(): boolean {
    return this.key !== undefined;
  }

  /** Uses this secret from now on; tokens verified with another one must be verified again. */
  setSecret(secret: Secret): void {
    const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
    if (this.secret && Buffer.from(this.secret).equals(bytes)) return;
    this.secret = Uint8Array.from(bytes);
    this.key = secretKey(this.secret);
    this.generation++;
    this.verified.clear();
  }

  /** The claims of a token that passes every rule; else TokenRefused naming the rule. */
  async verify(token: string): Promise<Claims> {
    const cached = this.verified.get(token);
    // The cache's TTL already stops at exp; checking again costs nothing and holds even if
    // the wall clock jumped.
    if (cached && typeof cached.exp === 'number' && cached.exp * 1000 > this.now()) return cached;
    const key = this.key;
    if (!key) throw new HttpProblem(503, NOT_READY, { 'Retry-After': '1' });
    const generation = this.generation;
    const claims = await this.check(token, await key);
    if (generation === this.generation) this.remember(token, claims);
    return claims;
  }

  private async check(token: string, key: SecretKey): Promise<Claims> {
    const { issuer, audience, maxTtlS } = this.rules;
    const nowMs = this.now();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [ALGORITHM],
        requiredClaims: ['exp'],
        currentDate: new Date(nowMs),
        ...(issuer !== undefined ? { issuer } : {}),
        ...(audience !== undefined ? { audience } : {}),
      }));
    } catch (error) {
      throw new TokenRefused(refusalOf(error), { cause: error });
    }
    // jose checked exp is a number; iat, when present, too.
    const exp = payload.exp as number;
    const nowS = nowMs / 1000;
    if (payload.iat !== undefined && payload.iat > nowS + IAT_SKEW_S) {
      throw new TokenRefused('The token is invalid: claim "iat" is in the future.');
    }
    const lifetimeS = exp - (payload.iat ?? nowS);
    if (lifetimeS > maxTtlS) {
      const from = payload.iat === undefined ? 'from now' : 'after "iat"';
      throw new TokenRefused(
        `The token is invalid: claim "exp" is more than ${maxTtlS} s ${from} (JWT_MAX_TTL_S).`,
      );
    }
    return payload as Claims;
  }

  private remember(token: string, claims: Claims): void {
    const ttl = Math.min((claims.exp as number) * 1000 - this.now(), this.verified.ttl);
    if (ttl > 0) this.verified.set(token, claims, { ttl });
  }
}

export const NOT_READY = 'The service is starting: admin authentication is not ready yet.';
