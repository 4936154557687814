import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../src/adapters/postgres/migrate.js';
import { createPool } from '../../src/adapters/postgres/pool.js';
import {
  adminJwtSecret,
  ensureJwtSecret,
  readJwtSecret,
} from '../../src/adapters/postgres/postgres-jwt-secret.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { useTestDatabase } from '../support/use-test-database.js';

const MIGRATION = readFileSync(
  join(MIGRATIONS_DIR, '20261129095000000_system-jwt-secret.sql'),
  'utf8',
);

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  );
  return { logger, lines };
}

describe('the stored JWT secret', () => {
  const db = useTestDatabase();

  it('reads nothing, and creates nothing, before any replica generated it', async () => {
    expect(await readJwtSecret(db().pool)).toBeUndefined();
  });

  it('is generated once, 32 random bytes, by exactly one of several replicas booting together', async () => {
    const pools = Array.from({ length: 6 }, () => createPool(db().url, { max: 1 }));
    try {
      const results = await Promise.all(pools.map((pool) => ensureJwtSecret(pool)));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      const hex = new Set(results.map((r) => Buffer.from(r.secret).toString('hex')));
      expect(hex.size).toBe(1);
      expect(results[0]?.secret.byteLength).toBe(32);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  it('is kept across boots and re-running the migration', async () => {
    const before = await readJwtSecret(db().pool);
    await db().pool.query(MIGRATION);
    const again = await ensureJwtSecret(db().pool);
    expect(again.created).toBe(false);
    expect(Buffer.from(again.secret).equals(Buffer.from(before!))).toBe(true);
  });

  it('is logged as generated or reused, never shown', async () => {
    const { logger, lines } = capturingLogger();
    const secret = await adminJwtSecret(db().pool, undefined, logger);
    const text = JSON.stringify(lines);
    expect(lines[0]).toMatchObject({ step: 'auth', generated: false });
    expect(text).not.toContain(Buffer.from(secret).toString('hex'));
    expect(text).not.toContain(Buffer.from(secret).toString('base64'));
  });

  it('yields to JWT_SECRET when it is set, without touching the database', async () => {
    const { logger, lines } = capturingLogger();
    const configured = 'configured-secret-0123456789abcdef-0123';
    const secret = await adminJwtSecret(db().pool, configured, logger);
    expect(new TextDecoder().decode(secret)).toBe(configured);
    expect(JSON.stringify(lines)).not.toContain(configured);
  });
});

describe('the stored JWT secret on a database not migrated yet', () => {
  let db: TestDatabase | undefined;
  afterAll(async () => {
    await db?.drop();
  });

  it('is simply absent for readers (npm run token says "no secret yet")', async () => {
    db = await createTestDatabase({ migrate: false });
    expect(await readJwtSecret(db.pool)).toBeUndefined();
  });
});
