import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { JwtVerifier } from '../../../src/adapters/http/jwt-verifier.js';
import {
  ensureJwtSecret,
  NO_SECRET_YET,
} from '../../../src/adapters/postgres/postgres-jwt-secret.js';
import { useTestDatabase } from '../../support/use-test-database.js';
import { startApp } from './harness.js';

const run = promisify(execFile);
const SECRET = 'cli-test-secret-0123456789abcdef-0123456789';

/** The CLI with exactly these JWT_* variables (none inherited from the caller's shell). */
async function token(
  args: string[] = [],
  env: NodeJS.ProcessEnv = { JWT_SECRET: SECRET },
): Promise<{ stdout: string; stderr: string }> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('JWT_')),
  );
  return run(process.execPath, ['--import', 'tsx', 'src/token.ts', ...args], {
    env: { ...inherited, NODE_ENV: 'test', ...env },
  });
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('npm run token', () => {
  const db = useTestDatabase();

  it('prints only a 12-hour admin token signed with JWT_SECRET', async () => {
    const { stdout } = await token();
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const claims = await new JwtVerifier({ secret: SECRET }).verify(stdout.trim());
    expect(claims).toMatchObject({ role: 'admin', sub: 'admin-cli' });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(12 * 3600);
  });

  it('takes --role and --ttl', async () => {
    const { stdout } = await token(['--role', 'viewer', '--ttl', '1h']);
    const claims = decodeJwt(stdout.trim());
    expect(claims.role).toBe('viewer');
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
  });

  it('refuses a --role other than admin or viewer, with nothing on stdout', async () => {
    const failure = await failureOf(token(['--role', 'root']));
    expect(failure).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'token: --role must be admin or viewer, not "root"\n',
    });
  });

  it('puts the role where JWT_ROLE_CLAIM says, as the service reads it', async () => {
    const env = { JWT_SECRET: SECRET, JWT_ROLE_CLAIM: 'realm_access.roles' };
    const { stdout } = await token(['--role', 'viewer'], env);
    expect(decodeJwt(stdout.trim())).toMatchObject({ realm_access: { roles: 'viewer' } });
    const app = await startApp({
      jwt: new JwtVerifier({ secret: SECRET, roleClaim: 'realm_access.roles' }),
    });
    try {
      const res = await app.call('GET', '/api/sync/me', { token: stdout.trim() });
      expect(res.body).toEqual({ success: true, subject: 'admin-cli', role: 'viewer' });
    } finally {
      await app.close();
    }
  });

  it('sets iss and aud when JWT_ISSUER and JWT_AUDIENCE are set', async () => {
    const env = { JWT_SECRET: SECRET, JWT_ISSUER: 'https://auth.test', JWT_AUDIENCE: 'sync' };
    const { stdout } = await token([], env);
    const verifier = new JwtVerifier({
      secret: SECRET,
      issuer: 'https://auth.test',
      audience: 'sync',
    });
    expect(await verifier.verify(stdout.trim())).toMatchObject({
      iss: 'https://auth.test',
      aud: 'sync',
    });
  });

  it.each([
    ['above the default 86400 s', ['--ttl', '100y'], {}, '(86400 s)'],
    ['above JWT_MAX_TTL_S', ['--ttl', '2h'], { JWT_MAX_TTL_S: '3600' }, '(3600 s)'],
  ])('refuses a --ttl %s, with nothing on stdout', async (_, args, env, limit) => {
    const failure = await failureOf(token(args, { JWT_SECRET: SECRET, ...env }));
    expect(failure).toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringContaining(`is longer than JWT_MAX_TTL_S ${limit}`),
    });
  });

  it('fails on stderr, with nothing on stdout, for a bad flag', async () => {
    const failure = await failureOf(token(['--ttl', 'soon']));
    expect(failure).toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringContaining('token:'),
    });
  });

  it('refuses a JWT_SECRET shorter than 32 bytes, naming the variable and not the value', async () => {
    const failure = await failureOf(token([], { JWT_SECRET: 'short-secret' }));
    expect(failure).toMatchObject({ code: 1, stdout: '' });
    const { stderr } = failure as { stderr: string };
    expect(stderr).toContain('JWT_SECRET must be at least 32 bytes');
    expect(stderr).not.toContain('short-secret');
  });

  describe('without JWT_SECRET', () => {
    const env = () => ({ DATABASE_URL: db().url });

    it('says so, and creates nothing, before the service generated a secret', async () => {
      const failure = await failureOf(token([], env()));
      expect(failure).toMatchObject({ code: 1, stdout: '', stderr: `token: ${NO_SECRET_YET}\n` });
      const { rows } = await db().pool.query('select count(*)::int as n from system.jwt_secret');
      expect(rows[0].n).toBe(0);
    });

    it('signs with the secret stored in PostgreSQL, which the admin API accepts', async () => {
      const { secret } = await ensureJwtSecret(db().pool);
      const { stdout } = await token([], env());
      const app = await startApp({ jwt: new JwtVerifier({ secret }) });
      try {
        const res = await app.call('GET', '/api/sync/auto-sync/status', { token: stdout.trim() });
        expect(res.status).toBe(200);
      } finally {
        await app.close();
      }
    });

    it('says which database it could not read', async () => {
      const failure = await failureOf(
        token([], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' }),
      );
      expect(failure).toMatchObject({
        code: 1,
        stdout: '',
        stderr: expect.stringContaining('cannot read the JWT secret from PostgreSQL'),
      });
    });
  });
});
