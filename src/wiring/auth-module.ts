import { ContainerModule } from 'inversify';
import type { Pool } from 'pg';
import { JWT_VERIFIER } from '../adapters/http/module.js';
import type { JwtVerifier } from '../adapters/http/jwt-verifier.js';
import type { Logger } from '../adapters/observability/logger.js';
import { adminJwtSecret } from '../adapters/postgres/postgres-jwt-secret.js';
import { PG_POOL } from '../adapters/postgres/tokens.js';
import type { Config } from '../config.js';
import { BOOT_ORDER, PROCESS_COMPONENT, type ProcessComponent } from '../lifecycle.js';
import * as T from '../tokens.js';

/**
 * Hands the admin API its key once the schema exists: JWT_SECRET when set, else the secret
 * stored in PostgreSQL (generated on the first boot of any replica). Until then /api/sync
 * answers 503.
 */
export const authModule = (config: Config) =>
  new ContainerModule(({ bind }) => {
    bind<ProcessComponent>(PROCESS_COMPONENT).toResolvedValue(
      (jwt: JwtVerifier, pool: Pool, logger: Logger): ProcessComponent => ({
        name: 'admin token key',
        order: BOOT_ORDER.secrets,
        start: async () => jwt.setSecret(await adminJwtSecret(pool, config.jwtSecret, logger)),
      }),
      [JWT_VERIFIER, PG_POOL, T.LOGGER],
    );
  });
