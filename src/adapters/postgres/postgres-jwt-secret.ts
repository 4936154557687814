import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { Logger } from '../observability/logger.js';

/** 256 bits: the output size of HMAC-SHA256, the key length RFC 7518 asks for HS256. */
export const GENERATED_SECRET_BYTES = 32;

export const NO_SECRET_YET = 'no secret yet: start the service once, or set JWT_SECRET';

export interface StoredJwtSecret {
  readonly secret: Uint8Array;
  /** True only for the one caller whose insert created the row. */
  readonly created: boolean;
}

/** PostgreSQL's "relation does not exist": the migrations have not run here yet. */
const UNDEFINED_TABLE = '42P01';

/**
 * The stored secret, generated first if there is none. Race-free across replicas booting
 * together: every one offers its own random bytes, exactly one insert wins, and all of them
 * then read the winner's.
 */
export async function ensureJwtSecret(pool: Pool): Promise<StoredJwtSecret> {
  const inserted = await pool.query<{ secret: Buffer }>(
    `insert into system.jwt_secret (id, secret) values (true, $1)
     on conflict (id) do nothing
     returning secret`,
    [randomBytes(GENERATED_SECRET_BYTES)],
  );
  const mine = inserted.rows[0];
  if (mine) return { secret: new Uint8Array(mine.secret), created: true };
  const stored = await readJwtSecret(pool);
  if (!stored) throw new Error('system.jwt_secret: the row vanished right after an insert');
  return { secret: stored, created: false };
}

/** The stored secret, or undefined when none was generated yet; never creates one. */
export async function readJwtSecret(pool: Pool): Promise<Uint8Array | undefined> {
  try {
    const { rows } = await pool.query<{ secret: Buffer }>(
      'select secret from system.jwt_secret where id',
    );
    return rows[0] ? new Uint8Array(rows[0].secret) : undefined;
  } catch (error) {
    if ((error as { code?: unknown }).code === UNDEFINED_TABLE) return undefined;
    throw error;
  }
}

/**
 * What the admin API verifies with: JWT_SECRET when set, else the stored secret (generated on
 * the first boot). Says which in the log, never the secret itself.
 */
export async function adminJwtSecret(
  pool: Pool,
  configured: string | undefined,
  logger: Logger,
): Promise<Uint8Array> {
  if (configured !== undefined) {
    logger.info({ step: 'auth' }, 'admin auth: using JWT_SECRET');
    return new TextEncoder().encode(configured);
  }
  const { secret, created } = await ensureJwtSecret(pool);
  logger.info(
    { step: 'auth', generated: created },
    created
      ? 'admin auth: JWT_SECRET is not set; generated a random 256-bit secret and stored it in PostgreSQL (system.jwt_secret), shared by every replica and `npm run token`'
      : 'admin auth: JWT_SECRET is not set; using the secret stored in PostgreSQL (system.jwt_secret)',
  );
  return secret;
}
