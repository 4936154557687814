import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase, type TestDatabaseOptions } from './postgres.js';

/**
 * One fresh database for the whole test file: created before its tests, dropped after them.
 * The returned function gives it to tests and factories (it throws if called too early).
 */
export function useTestDatabase(options: TestDatabaseOptions = {}): () => TestDatabase {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase(options);
  });
  afterAll(async () => {
    await db?.drop();
  });
  return () => {
    if (!db) throw new Error('the test database is created in beforeAll; use it inside a test');
    return db;
  };
}
