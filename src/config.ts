import { z } from 'zod';

/** Insecure on purpose and refused in production: lets `npm start` and `npm run token` agree. */
export const DEV_JWT_SECRET = 'dev-only-insecure-secret-do-not-use-in-production';

const port = z.coerce.number().int().min(0).max(65535);
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const schema = z
  .object({
    NODE_ENV: z.string().default('development'),
    PORT: port.default(3000),
    DATABASE_URL: z
      .url({ protocol: /^postgres(ql)?$/ })
      .default('postgres://postgres@127.0.0.1:5432/postgres'),
    REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
    QUEUE_NAME: z.string().min(1).default('operations'),
    QUEUE_PREFIX: z.string().min(1).default('bull'),
    JWT_SECRET: z.string().optional(),
    AGENT_CACHE_TTL_MS: z.coerce.number().int().min(0).max(3_600_000).default(5000),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    LEADER_POLL_MS: z.coerce.number().int().min(100).max(10_000).default(2000),
    LEADER_LEASE_MS: z.coerce.number().int().min(300).max(120_000).default(10_000),
    SETTINGS_RESYNC_MS: z.coerce.number().int().min(500).max(3_600_000).default(30_000),
  })
  .superRefine((env, ctx) => {
    if (env.LEADER_LEASE_MS < 3 * env.LEADER_POLL_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['LEADER_LEASE_MS'],
        message:
          'must be at least 3 × LEADER_POLL_MS, so that a leader can miss a renewal and still step down before its lease expires',
      });
    }
    if (env.NODE_ENV !== 'production') return;
    if (!env.JWT_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'is required in production' });
    } else if (Buffer.byteLength(env.JWT_SECRET) < 32) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'must be at least 32 bytes' });
    }
  });

export interface Config {
  readonly env: string;
  readonly port: number;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly queueName: string;
  readonly queuePrefix: string;
  readonly jwtSecret: string;
  readonly agentCacheTtlMs: number;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  /** How often a follower tries for leadership and the leader renews its lease. */
  readonly leaderPollMs: number;
  /** How long the leadership key in Redis lives after each renewal; at least 3 × leaderPollMs. */
  readonly leaderLeaseMs: number;
  /** Safety-net reload of the desired state, for lost notifications. */
  readonly settingsResyncMs: number;
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
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    queueName: e.QUEUE_NAME,
    queuePrefix: e.QUEUE_PREFIX,
    jwtSecret: e.JWT_SECRET ?? DEV_JWT_SECRET,
    agentCacheTtlMs: e.AGENT_CACHE_TTL_MS,
    logLevel: e.LOG_LEVEL,
    leaderPollMs: e.LEADER_POLL_MS,
    leaderLeaseMs: e.LEADER_LEASE_MS,
    settingsResyncMs: e.SETTINGS_RESYNC_MS,
  };
}
