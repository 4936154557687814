import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const CERTS = 'https://keycloak.test/realms/sync/protocol/openid-connect/certs';
const PROVIDER = {
  JWT_ISSUER: 'https://keycloak.test/realms/sync',
  JWT_AUDIENCE: 'sync-scheduler',
};

const problem = (env: NodeJS.ProcessEnv): string => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
};

describe('loadConfig: identity provider and roles', () => {
  it('has no provider and reads the role from "role" by default', () => {
    expect(loadConfig({})).toMatchObject({ jwtJwksUrl: undefined, jwtRoleClaim: 'role' });
  });

  it('takes a JWKS URL with its issuer and audience, and a dotted role claim', () => {
    const config = loadConfig({
      JWT_JWKS_URL: CERTS,
      JWT_ROLE_CLAIM: 'realm_access.roles',
      ...PROVIDER,
    });
    expect(config).toMatchObject({ jwtJwksUrl: CERTS, jwtRoleClaim: 'realm_access.roles' });
  });

  it.each(['not a url', 'ftp://keycloak.test/certs', 'file:///etc/passwd'])(
    'refuses JWT_JWKS_URL=%s, naming the variable',
    (url) => {
      expect(problem({ JWT_JWKS_URL: url, ...PROVIDER })).toContain(
        'JWT_JWKS_URL must be an http(s) URL',
      );
    },
  );

  it.each(['JWT_ISSUER', 'JWT_AUDIENCE'])('needs %s with JWT_JWKS_URL', (name) => {
    const env: NodeJS.ProcessEnv = { JWT_JWKS_URL: CERTS, ...PROVIDER };
    delete env[name];
    expect(problem(env)).toContain(`${name} is required when JWT_JWKS_URL is set`);
  });

  it('refuses a plain-http JWKS URL in production, except on loopback', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), ...PROVIDER };
    expect(problem({ ...production, JWT_JWKS_URL: 'http://keycloak.internal/certs' })).toContain(
      'JWT_JWKS_URL must be https in production',
    );
    for (const url of [
      'http://127.0.0.1:8080/certs',
      'http://localhost:8080/certs',
      'http://[::1]:8080/certs',
    ]) {
      expect(loadConfig({ ...production, JWT_JWKS_URL: url }).jwtJwksUrl).toBe(url);
    }
    expect(
      loadConfig({ JWT_JWKS_URL: 'http://keycloak.internal/certs', ...PROVIDER }),
    ).toBeTruthy();
  });

  it.each(['', '.roles', 'realm_access.', 'realm_access..roles', 'has space'])(
    'refuses JWT_ROLE_CLAIM=%j',
    (claim) => {
      expect(problem({ JWT_ROLE_CLAIM: claim })).toContain('JWT_ROLE_CLAIM must be a claim name');
    },
  );
});
