import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../../src/adapters/http/auth.js';
import { JwtVerifier, NOT_READY } from '../../../src/adapters/http/jwt-verifier.js';
import { adminJwtSecret } from '../../../src/adapters/postgres/postgres-jwt-secret.js';
import { loadConfig } from '../../../src/config.js';
import { sourceStrings } from '../../support/source-strings.js';
import { useTestDatabase } from '../../support/use-test-database.js';
import { startApp, type App } from './harness.js';

const SRC = fileURLToPath(new URL('../../../src', import.meta.url));
const STATUS = '/api/sync/auto-sync/status';

/**
 * Booted as production boots without JWT_SECRET: the verifier built from the configuration,
 * the secret generated and stored in PostgreSQL once the database answers.
 */
describe('an app booted without JWT_SECRET', () => {
  const db = useTestDatabase();
  const config = loadConfig({});
  const verifier = JwtVerifier.fromConfig(config);
  const candidates = sourceStrings(SRC);
  let app: App;
  let secret: Uint8Array;
  beforeAll(async () => {
    app = await startApp({ jwt: verifier });
  });
  afterAll(async () => {
    await app.close();
  });

  it('answers 503 on the admin API until the secret is known', async () => {
    const res = await app.call('GET', STATUS, { token: await signToken(candidates[0] ?? 'x') });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.body).toEqual({ success: false, error: NOT_READY });
    expect((await app.call('GET', '/healthz', { token: null })).status).toBe(200);
  });

  it('accepts a token signed with the generated secret', async () => {
    secret = await adminJwtSecret(db().pool, config.jwtSecret, pino({ level: 'silent' }));
    verifier.setSecret(secret);
    expect(secret.byteLength).toBe(32);
    expect((await app.call('GET', STATUS, { token: await signToken(secret) })).status).toBe(200);
  });

  it('finds the strings of the source (the extractor works)', () => {
    expect(candidates.length).toBeGreaterThan(200);
    expect(candidates).toContain('The service is starting: admin authentication is not ready yet.');
    expect(candidates).toContain('Bearer error="invalid_token"');
  });

  it('refuses an admin token signed with any string found in the source', async () => {
    const accepted: string[] = [];
    for (const candidate of candidates) {
      const res = await app.call('GET', STATUS, { token: await signToken(candidate) });
      if (res.status !== 401 || res.body.error !== 'The token is invalid.')
        accepted.push(candidate);
    }
    expect(accepted).toEqual([]);
  });
});
