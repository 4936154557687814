import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { secretKey, verifyToken } from '../../../src/adapters/http/auth.js';

const run = promisify(execFile);
const SECRET = 'cli-test-secret-0123456789abcdef-0123456789';

async function token(args: string[] = []): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', 'src/token.ts', ...args], {
    env: { ...process.env, NODE_ENV: 'test', JWT_SECRET: SECRET },
  });
}

describe('npm run token', () => {
  it('prints only a 12-hour admin token signed with JWT_SECRET', async () => {
    const { stdout } = await token();
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const claims = await verifyToken(stdout.trim(), await secretKey(SECRET));
    expect(claims).toMatchObject({ role: 'admin', sub: 'admin-cli' });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(12 * 3600);
  });

  it('takes --role and --ttl', async () => {
    const { stdout } = await token(['--role', 'viewer', '--ttl', '1h']);
    const claims = decodeJwt(stdout.trim());
    expect(claims.role).toBe('viewer');
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
  });

  it('fails on stderr, with nothing on stdout, for a bad flag', async () => {
    const failure = await token(['--ttl', 'soon']).catch((error: unknown) => error);
    expect(failure).toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringContaining('token:'),
    });
  });
});
