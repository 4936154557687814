import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';

export const PROVIDER_ISSUER = 'https://idp.test/realms/sync';
export const PROVIDER_AUDIENCE = 'sync-scheduler';

export type ProviderAlg = 'RS256' | 'ES256';

interface SigningKey {
  readonly kid: string;
  readonly alg: ProviderAlg;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

export interface ProviderTokenOptions {
  readonly alg?: ProviderAlg;
  /** Sign with this key id (default: the newest key of that algorithm). */
  readonly kid?: string;
  readonly issuer?: string;
  readonly audience?: string;
  /** Claims on top of `sub`; default a Keycloak-style `realm_access.roles` with admin. */
  readonly claims?: JWTPayload;
  readonly ttlS?: number;
}

/** A key pair as an identity provider makes one: the private half signs, the JWK is served. */
export async function aSigningKey(alg: ProviderAlg, kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, jwk };
}

/**
 * An OpenID Connect provider's certs endpoint on 127.0.0.1, as Keycloak serves it
 * (`/realms/<realm>/protocol/openid-connect/certs`), with keys it generates itself. It counts
 * the fetches, can switch to new keys (rotation), serve extra raw JWKs, and go away.
 */
export async function startJwksServer(algs: readonly ProviderAlg[] = ['RS256', 'ES256']) {
  let keys: SigningKey[] = [];
  let extra: JWK[] = [];
  let generation = 0;
  let fetches = 0;
  const rotate = async (): Promise<SigningKey[]> => {
    generation += 1;
    keys = await Promise.all(algs.map((alg) => aSigningKey(alg, `${alg}-${generation}`)));
    return keys;
  };
  await rotate();

  const server: Server = createServer((req, res) => {
    fetches += 1;
    if (req.url !== '/realms/sync/protocol/openid-connect/certs') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [...keys.map((key) => key.jwk), ...extra] }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/realms/sync/protocol/openid-connect/certs`;

  async function sign(subject: string, options: ProviderTokenOptions = {}): Promise<string> {
    const alg = options.alg ?? 'RS256';
    const key =
      options.kid === undefined
        ? keys.find((k) => k.alg === alg)
        : keys.find((k) => k.kid === options.kid);
    if (!key) throw new Error(`no ${alg} key ${options.kid ?? ''} on the test provider`);
    return signWith(key, subject, options);
  }

  return {
    url,
    port,
    /** The keys served now; `rotate()` replaces them all with new ones. */
    keys: () => keys,
    rotate,
    /** JWKs served besides the signing keys (e.g. a symmetric one a provider must never hold). */
    serveAlso: (jwks: JWK[]) => void (extra = jwks),
    fetches: () => fetches,
    sign,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export type JwksServer = Awaited<ReturnType<typeof startJwksServer>>;

/** A token as the provider issues it, signed with any key (served or not). */
export function signWith(
  key: Pick<SigningKey, 'kid' | 'alg' | 'privateKey'>,
  subject: string,
  options: ProviderTokenOptions = {},
): Promise<string> {
  const claims = options.claims ?? { realm_access: { roles: ['offline_access', 'admin'] } };
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setSubject(subject)
    .setIssuer(options.issuer ?? PROVIDER_ISSUER)
    .setAudience(options.audience ?? PROVIDER_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlS ?? 300}s`);
  return jwt.sign(key.privateKey);
}
