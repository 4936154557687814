import { decodeProtectedHeader, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { describeUrl } from '../observability/logger.js';
import { ALGORITHM, PROVIDER_ALGORITHMS, secretKey, type Secret, type SecretKey } from './auth.js';
import { HttpProblem } from './http-problem.js';
import { remoteJwks, type JwksOptions } from './jwks-keys.js';
import { DEFAULT_ROLE_CLAIM } from './roles.js';
import { INVALID_TOKEN, refusalOf, TokenRefused, wrongAlgorithm } from './token-refusal.js';

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
  /** JWT_JWKS_URL: RS256 and ES256 tokens are verified against the keys found there. */
  readonly jwksUrl?: string | undefined;
  /** jose's timeout, cooldown and cache age for the key set (tests shorten them). */
  readonly jwks?: JwksOptions;
  /** Claim name or dotted path that carries the role (JWT_ROLE_CLAIM). */
  readonly roleClaim?: string;
  /** Where a key set outage is reported (once per outage). */
  readonly logger?: Logger | undefined;
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
  readonly jwtJwksUrl: string | undefined;
  readonly jwtRoleClaim: string;
}

export const DEFAULT_MAX_TTL_S = 86_400;
/** How far in the future an `iat` may be, for clock skew between hosts. */
const IAT_SKEW_S = 60;

/**
 * Verifies admin tokens on one of two paths, picked by the token's `alg` and never mixed: HS256
 * against the secret, which may arrive after the HTTP server starts (the generated secret lives
 * in PostgreSQL, read once the boot wait is over), or RS256 / ES256 against the identity
 * provider's public keys (JWT_JWKS_URL). An HS256 token never meets a provider key and an RS256
 * token never meets the secret, so neither can be forged with the other's key. The same rules
 * (exp, iss, aud, lifetime) hold on both. Verified tokens are cached, so a dashboard polling
 * every few seconds costs one signature check per token rather than one per request; only a
 * token that passed every check is stored, so a forged one is always checked in full, and a
 * new secret empties the cache.
 */
export class JwtVerifier {
  /** Claim name or dotted path that carries the role. */
  readonly roleClaim: string;
  private key: Promise<SecretKey> | undefined;
  private readonly providerKeys: JWTVerifyGetKey | undefined;
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
    this.roleClaim = options.roleClaim ?? DEFAULT_ROLE_CLAIM;
    this.providerKeys =
      options.jwksUrl === undefined
        ? undefined
        : remoteJwks(options.jwksUrl, options.logger, options.jwks);
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

  static fromConfig(config: JwtConfig, logger?: Logger): JwtVerifier {
    if (config.jwtJwksUrl !== undefined) {
      logger?.info(
        { step: 'auth', jwksUrl: describeUrl(config.jwtJwksUrl), roleClaim: config.jwtRoleClaim },
        'admin API accepts RS256 and ES256 tokens from the identity provider',
      );
    }
    return new JwtVerifier({
      secret: config.jwtSecret,
      jwksUrl: config.jwtJwksUrl,
      roleClaim: config.jwtRoleClaim,
      maxTtlS: config.jwtMaxTtlS,
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      logger,
    });
  }

  /**
   * False until some key is known: the admin API answers 503 meanwhile. With an identity
   * provider it is ready at once; an HS256 token still gets the 503 until the secret is known.
   */
  get ready(): boolean {
    return this.key !== undefined || this.providerKeys !== undefined;
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
    const generation = this.generation;
    const claims = await this.checkOnItsPath(token);
    if (generation === this.generation) this.remember(token, claims);
    return claims;
  }

  /** The token's own `alg` picks the key, and only that path's algorithms are allowed there. */
  private async checkOnItsPath(token: string): Promise<Claims> {
    const alg = algorithmOf(token);
    if (alg === ALGORITHM) {
      const key = this.key;
      if (!key) throw new HttpProblem(503, NOT_READY, { 'Retry-After': '1' });
      return this.check(token, await key, [ALGORITHM]);
    }
    const providerKeys = this.providerKeys;
    if (providerKeys && PROVIDER_ALGORITHMS.some((allowed) => allowed === alg)) {
      return this.check(token, providerKeys, PROVIDER_ALGORITHMS);
    }
    throw new TokenRefused(wrongAlgorithm(providerKeys !== undefined));
  }

  private async check(
    token: string,
    key: SecretKey | JWTVerifyGetKey,
    algorithms: readonly string[],
  ): Promise<Claims> {
    const { issuer, audience, maxTtlS } = this.rules;
    const nowMs = this.now();
    let payload: JWTPayload;
    try {
      // Two calls rather than a union: jose types the key and the key getter apart.
      const options = {
        algorithms: [...algorithms],
        requiredClaims: ['exp'],
        currentDate: new Date(nowMs),
        ...(issuer !== undefined ? { issuer } : {}),
        ...(audience !== undefined ? { audience } : {}),
      };
      ({ payload } =
        typeof key === 'function'
          ? await jwtVerify(token, key, options)
          : await jwtVerify(token, key, options));
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

function algorithmOf(token: string): unknown {
  try {
    return decodeProtectedHeader(token).alg;
  } catch (error) {
    throw new TokenRefused(INVALID_TOKEN, { cause: error });
  }
}

export const NOT_READY = 'The service is starting: admin authentication is not ready yet.';
