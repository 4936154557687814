import { parseArgs } from 'node:util';
import { decodeJwt } from 'jose';
import { signToken, type Secret } from './adapters/http/auth.js';
import { ROLES, type Role } from './adapters/http/roles.js';
import { errorMessage } from './adapters/error-message.js';
import { describeUrl } from './adapters/observability/logger.js';
import { createPool } from './adapters/postgres/pool.js';
import { NO_SECRET_YET, readJwtSecret } from './adapters/postgres/postgres-jwt-secret.js';
import { loadConfig } from './config.js';

/**
 * The secret the service verifies with: JWT_SECRET, else the one the service generated and
 * stored in PostgreSQL. Read-only on purpose: only the service creates it (and logs that it
 * did), so a mistyped DATABASE_URL fails here instead of printing a token no service accepts.
 */
async function secretOf(jwtSecret: string | undefined, databaseUrl: string): Promise<Secret> {
  if (jwtSecret !== undefined) return jwtSecret;
  const pool = createPool(databaseUrl, { max: 1 });
  let stored: Uint8Array | undefined;
  try {
    stored = await readJwtSecret(pool);
  } catch (error) {
    throw new Error(
      `cannot read the JWT secret from PostgreSQL (${describeUrl(databaseUrl)}): ${errorMessage(error)}`,
      { cause: error },
    );
  } finally {
    await pool.end();
  }
  if (!stored) throw new Error(NO_SECRET_YET);
  return stored;
}

function roleOption(value: string): Role {
  const role = ROLES.find((known) => known === value);
  if (!role) throw new Error(`--role must be ${ROLES.join(' or ')}, not "${value}"`);
  return role;
}

/**
 * `npm run token [-- --role admin|viewer --ttl 12h]`: prints a JWT the admin API accepts,
 * signed with the secret the service verifies with, its role at JWT_ROLE_CLAIM, carrying
 * JWT_ISSUER / JWT_AUDIENCE when set. Only the token goes to stdout, so `$(npm run -s token)`
 * works; problems go to stderr with exit 1.
 */
async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      role: { type: 'string', default: 'admin' },
      ttl: { type: 'string', default: '12h' },
    },
  });
  const role = roleOption(values.role);
  const config = loadConfig();
  const secret = await secretOf(config.jwtSecret, config.databaseUrl);
  const token = await signToken(secret, {
    role,
    roleClaim: config.jwtRoleClaim,
    ttl: values.ttl,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
  });
  // Measured on the signed token, so the rule is exactly the one the service applies.
  const { exp = 0, iat = 0 } = decodeJwt(token);
  if (exp - iat > config.jwtMaxTtlS) {
    throw new Error(
      `--ttl ${values.ttl} is longer than JWT_MAX_TTL_S (${config.jwtMaxTtlS} s): the service would refuse the token`,
    );
  }
  process.stdout.write(`${token}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`token: ${errorMessage(error)}\n`);
  process.exitCode = 1;
});
