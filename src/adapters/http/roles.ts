export const ROLES = ['admin', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const DEFAULT_ROLE_CLAIM = 'role';

/** Who called: the verified token's subject and the role it carries. */
export interface Principal {
  readonly subject: string | null;
  readonly role: Role;
  /**
   * Who the audit trail names: `sub`, else the `userId` claim (some issuers' tokens carry
   * only that); null with neither.
   */
  readonly actor: string | null;
}

/** A viewer reads: every GET and HEAD under /api/sync, nothing else. */
const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * The claim at `path`: the exact name first (a namespaced claim such as
 * `https://example.test/roles` has dots of its own), else the dotted path into nested objects
 * (`realm_access.roles`).
 */
function claimAt(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let value: unknown = claims;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, part)) return;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * The role a token carries at `path`: a string, or an array of strings as Keycloak's
 * `realm_access.roles`; admin wins when both are there, and anything else is no role.
 */
export function roleOf(claims: Readonly<Record<string, unknown>>, path: string): Role | undefined {
  const value = claimAt(claims, path);
  const names = Array.isArray(value) ? value : [value];
  return ROLES.find((role) => names.includes(role));
}

export const mayUse = (role: Role, method: string): boolean =>
  role === 'admin' || READ_METHODS.has(method.toUpperCase());

/** The claims object that puts `role` at `path`, as `roleOf` reads it back. */
export function roleClaims(path: string, role: string): Record<string, unknown> {
  return path.split('.').reduceRight<unknown>((inner, part) => ({ [part]: inner }), role) as Record<
    string,
    unknown
  >;
}
