import { z } from 'zod';
import { queueHashTag } from './adapters/queue/keys.js';
import { isClusterUrl, parseRedisUrl, RedisUrlError } from './adapters/queue/redis-url.js';
import type { TierRules } from './domain/activity.js';
import type { ErpBreakerRules, PairBreakerRules } from './domain/breakers.js';
import { SPREAD_MODES, type SpreadMode } from './domain/spread.js';

const MINUTE_MS = 60_000;

/** HMAC-SHA256 keys shorter than its 256-bit output weaken it (RFC 7518 §3.2). */
const MIN_JWT_SECRET_BYTES = 32;

const port = z.coerce.number().int().min(0).max(65535);
const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;
/** A claim name, or a dotted path into nested objects such as Keycloak's realm_access.roles. */
const CLAIM_PATH = /^[^.\s]+(?:\.[^.\s]+)*$/;

/** Where workers consume by default (BullMQ's own default): one Redis only. */
const DEFAULT_QUEUE_PREFIX = 'bull';

/** Says what is wrong with a REDIS_URL (redis-url.ts), never echoing it: it may hold a password. */
function checkRedisUrl(url: string, ctx: z.RefinementCtx): void {
  try {
    parseRedisUrl(url);
  } catch (error) {
    if (!(error instanceof RedisUrlError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
  }
}

/**
 * On a Redis Cluster every key of the queue, the leader lease (which the add scripts check in
 * the same atomic step) and the run log must hash to one slot, so `<QUEUE_PREFIX>:<QUEUE_NAME>`
 * must carry a hash tag, e.g. `{bull}`. And the prefix has no default there: it is where the
 * workers look, `bull` cannot work on a cluster, and any other default would be a guess that
 * sends the jobs where no worker looks, silently; a refusal at boot is loud and costs one line.
 */
function clusterPrefixProblem(
  redisUrl: string,
  prefix: string | undefined,
  queueName: string,
): string | null {
  if (!isClusterUrl(redisUrl)) return null;
  if (prefix === undefined) {
    return 'must be set on a Redis Cluster (it has no default there): the prefix the workers use, with a hash tag such as {bull}';
  }
  if (queueHashTag(prefix, queueName) === null) {
    return 'must carry a hash tag on a Redis Cluster, such as {bull} (the workers must use the same prefix), so that every key of the queue and the leader lease share one slot';
  }
  return null;
}
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const schema = z
  .object({
    NODE_ENV: z.string().default('development'),
    PORT: port.default(3000),
    DATABASE_URL: z
      .url({ protocol: /^postgres(ql)?$/ })
      .default('postgres://postgres@127.0.0.1:5432/postgres'),
    REDIS_URL: z.string().superRefine(checkRedisUrl).default('redis://127.0.0.1:6379'),
    QUEUE_NAME: z.string().min(1).default('operations'),
    // Defaults to `bull` on one Redis only: see clusterPrefixProblem.
    QUEUE_PREFIX: z.string().min(1).optional(),
    // No default, in any environment: without it the service uses the secret it generated
    // and stored in PostgreSQL (see postgres-jwt-secret.ts).
    JWT_SECRET: z
      .string()
      .refine((secret) => Buffer.byteLength(secret) >= MIN_JWT_SECRET_BYTES, {
        message: `must be at least ${MIN_JWT_SECRET_BYTES} bytes`,
      })
      .optional(),
    JWT_MAX_TTL_S: z.coerce.number().int().min(60).max(31_536_000).default(86_400),
    BREAKER_CONSECUTIVE_FAILURES: z.coerce.number().int().min(1).max(1000).default(3),
    BREAKER_CONSECUTIVE_OPEN_MIN: z.coerce.number().int().min(1).max(43_200).default(120),
    BREAKER_WINDOW_FAILURES: z.coerce.number().int().min(1).max(10_000).default(6),
    BREAKER_WINDOW_HOURS: z.coerce.number().int().min(1).max(720).default(24),
    BREAKER_WINDOW_OPEN_MIN: z.coerce.number().int().min(1).max(43_200).default(1440),
    ERP_BREAKER_WINDOW_SIZE: z.coerce.number().int().min(1).max(100_000).default(100),
    ERP_BREAKER_WINDOW_MIN: z.coerce.number().int().min(1).max(1440).default(10),
    ERP_BREAKER_MIN_OUTCOMES: z.coerce.number().int().min(1).max(100_000).default(20),
    ERP_BREAKER_FAILURE_RATIO: z.coerce.number().gt(0).max(1).default(0.5),
    ERP_BREAKER_COOL_DOWN_MIN: z.coerce.number().int().min(1).max(1440).default(5),
    ERP_BREAKER_PROBE_SIZE: z.coerce.number().int().min(1).max(1000).default(5),
    SCHEDULER_MINUTE_MS: z.coerce.number().int().min(10).max(MINUTE_MS).default(MINUTE_MS),
    SPREAD_MODE: z.enum(SPREAD_MODES).default('interval'),
    ERP_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(10_000_000).optional(),
    ERP_MAX_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).optional(),
    ACTIVE_WITHIN_MIN: z.coerce.number().int().min(1).max(525_600).default(120),
    IDLE_WITHIN_MIN: z.coerce.number().int().min(1).max(525_600).default(1440),
    AGENT_ACTIVITY_COLUMN: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL column name')
      .default('last_activity_at'),
    JWT_ISSUER: z.string().min(1).optional(),
    JWT_AUDIENCE: z.string().min(1).optional(),
    JWT_JWKS_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    JWT_ROLE_CLAIM: z
      .string()
      .regex(CLAIM_PATH, 'must be a claim name or a dotted path such as realm_access.roles')
      .default('role'),
    AGENT_CACHE_TTL_MS: z.coerce.number().int().min(0).max(3_600_000).default(5000),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    LEADER_POLL_MS: z.coerce.number().int().min(100).max(10_000).default(2000),
    LEADER_LEASE_MS: z.coerce.number().int().min(300).max(120_000).default(10_000),
    SETTINGS_RESYNC_MS: z.coerce.number().int().min(500).max(3_600_000).default(30_000),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && env.SCHEDULER_MINUTE_MS !== MINUTE_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['SCHEDULER_MINUTE_MS'],
        message: 'is a testing aid and is refused with NODE_ENV=production',
      });
    }
    if (env.IDLE_WITHIN_MIN < env.ACTIVE_WITHIN_MIN) {
      ctx.addIssue({
        code: 'custom',
        path: ['IDLE_WITHIN_MIN'],
        message: 'must be at least ACTIVE_WITHIN_MIN',
      });
    }
    const prefixProblem = clusterPrefixProblem(env.REDIS_URL, env.QUEUE_PREFIX, env.QUEUE_NAME);
    if (prefixProblem)
      ctx.addIssue({ code: 'custom', path: ['QUEUE_PREFIX'], message: prefixProblem });
    if (env.LEADER_LEASE_MS < 3 * env.LEADER_POLL_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['LEADER_LEASE_MS'],
        message:
          'must be at least 3 × LEADER_POLL_MS, so that a leader can miss a renewal and still step down before its lease expires',
      });
    }
    if (env.JWT_JWKS_URL !== undefined) checkJwks(env, ctx);
  });

/**
 * The identity provider's rules. Its keys sign the tokens of every client of its realm, so
 * without an audience any of them would do, and without an issuer any provider using those
 * keys; in production the keys must not travel in clear text past this host.
 */
function checkJwks(
  env: { NODE_ENV: string; JWT_JWKS_URL?: string; JWT_ISSUER?: string; JWT_AUDIENCE?: string },
  ctx: z.RefinementCtx,
): void {
  // zod runs this even when the URL itself failed (its own issue already names it).
  const jwksUrl = env.JWT_JWKS_URL as string;
  const url = URL.canParse(jwksUrl) ? new URL(jwksUrl) : undefined;
  if (
    url &&
    env.NODE_ENV === 'production' &&
    url.protocol === 'http:' &&
    !LOOPBACK_HOSTS.test(url.hostname)
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['JWT_JWKS_URL'],
      message: 'must be https in production (plain http only to a loopback address)',
    });
  }
  for (const name of ['JWT_ISSUER', 'JWT_AUDIENCE'] as const) {
    if (env[name] === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: 'is required when JWT_JWKS_URL is set',
      });
    }
  }
}

export interface Config {
  readonly env: string;
  readonly port: number;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly queueName: string;
  readonly queuePrefix: string;
  /** Undefined: use the secret stored in PostgreSQL, generated on first boot. */
  readonly jwtSecret: string | undefined;
  /** Longest token lifetime accepted (exp - iat, or exp - now without iat), in seconds. */
  readonly jwtMaxTtlS: number;
  /** When set, a token's `iss` / `aud` must match. */
  readonly jwtIssuer: string | undefined;
  readonly jwtAudience: string | undefined;
  /** An OpenID Connect provider's key set: RS256 / ES256 tokens are verified against it. */
  readonly jwtJwksUrl: string | undefined;
  /** Claim name or dotted path that carries the role (a string or an array of strings). */
  readonly jwtRoleClaim: string;
  readonly agentCacheTtlMs: number;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  /** How often a follower tries for leadership and the leader renews its lease. */
  readonly leaderPollMs: number;
  /** How long the leadership key in Redis lives after each renewal; at least 3 × leaderPollMs. */
  readonly leaderLeaseMs: number;
  /** Safety-net reload of the desired state, for lost notifications. */
  readonly settingsResyncMs: number;
  /**
   * Milliseconds in one scheduler "minute" (60000; smaller only outside production, for
   * tests and soaks): intervals, windows, tiers, breaker periods and the budget's minute.
   */
  readonly minuteMs: number;
  readonly spreadMode: SpreadMode;
  /** The release budget; undefined = unlimited. */
  readonly erpMaxInFlight: number | undefined;
  readonly erpMaxPerMinute: number | undefined;
  /** Activity tiers, already scaled by minuteMs. */
  readonly tierRules: TierRules;
  /** The column of agents.users with each agent's last activity. */
  readonly agentActivityColumn: string;
  /** Per (type, agent) circuit breaker. */
  readonly pairBreakerRules: PairBreakerRules;
  /** The fleet-wide ERP circuit breaker. */
  readonly erpBreakerRules: ErpBreakerRules;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment once; the message names each bad variable and why (never its value). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  const minute = e.SCHEDULER_MINUTE_MS;
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    queueName: e.QUEUE_NAME,
    queuePrefix: e.QUEUE_PREFIX ?? DEFAULT_QUEUE_PREFIX,
    jwtSecret: e.JWT_SECRET,
    jwtMaxTtlS: e.JWT_MAX_TTL_S,
    jwtIssuer: e.JWT_ISSUER,
    jwtAudience: e.JWT_AUDIENCE,
    jwtJwksUrl: e.JWT_JWKS_URL,
    jwtRoleClaim: e.JWT_ROLE_CLAIM,
    agentCacheTtlMs: e.AGENT_CACHE_TTL_MS,
    logLevel: e.LOG_LEVEL,
    leaderPollMs: e.LEADER_POLL_MS,
    leaderLeaseMs: e.LEADER_LEASE_MS,
    settingsResyncMs: e.SETTINGS_RESYNC_MS,
    minuteMs: minute,
    spreadMode: e.SPREAD_MODE,
    erpMaxInFlight: e.ERP_MAX_IN_FLIGHT,
    erpMaxPerMinute: e.ERP_MAX_PER_MINUTE,
    tierRules: {
      activeWithinMs: e.ACTIVE_WITHIN_MIN * minute,
      idleWithinMs: e.IDLE_WITHIN_MIN * minute,
    },
    agentActivityColumn: e.AGENT_ACTIVITY_COLUMN,
    pairBreakerRules: {
      consecutiveFailures: e.BREAKER_CONSECUTIVE_FAILURES,
      consecutiveOpenMs: e.BREAKER_CONSECUTIVE_OPEN_MIN * minute,
      windowFailures: e.BREAKER_WINDOW_FAILURES,
      windowMs: e.BREAKER_WINDOW_HOURS * 60 * minute,
      windowOpenMs: e.BREAKER_WINDOW_OPEN_MIN * minute,
    },
    erpBreakerRules: {
      windowSize: e.ERP_BREAKER_WINDOW_SIZE,
      windowMs: e.ERP_BREAKER_WINDOW_MIN * minute,
      minOutcomes: e.ERP_BREAKER_MIN_OUTCOMES,
      failureRatio: e.ERP_BREAKER_FAILURE_RATIO,
      coolDownMs: e.ERP_BREAKER_COOL_DOWN_MIN * minute,
      probeSize: e.ERP_BREAKER_PROBE_SIZE,
    },
  };
}
