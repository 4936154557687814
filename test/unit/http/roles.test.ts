import { describe, expect, it } from 'vitest';
import { mayUse, roleClaims, roleOf } from '../../../src/adapters/http/roles.js';

describe('roleOf', () => {
  it.each([
    ['a string', { role: 'viewer' }, 'role', 'viewer'],
    ['an array', { role: ['other', 'admin'] }, 'role', 'admin'],
    [
      "Keycloak's realm_access.roles",
      { realm_access: { roles: ['offline_access', 'viewer', 'uma_authorization'] } },
      'realm_access.roles',
      'viewer',
    ],
    ['both roles: admin wins', { roles: ['viewer', 'admin'] }, 'roles', 'admin'],
    ['both roles, viewer first in a path', { a: { b: ['viewer', 'admin'] } }, 'a.b', 'admin'],
    [
      'a claim name with dots of its own (namespaced)',
      { 'https://sync.test/roles': ['admin'] },
      'https://sync.test/roles',
      'admin',
    ],
  ])('reads %s', (_, claims, path, role) => {
    expect(roleOf(claims, path)).toBe(role);
  });

  it.each([
    ['no such claim', { sub: 'x' }, 'role'],
    ['another role', { role: 'operator' }, 'role'],
    ['a number', { role: 1 }, 'role'],
    [
      'a role in an object, not at the path',
      { realm_access: { admin: true } },
      'realm_access.roles',
    ],
    ['a path through a string', { realm_access: 'admin' }, 'realm_access.roles'],
    ['a case variant', { role: 'Admin' }, 'role'],
    ['nested arrays', { role: [['admin']] }, 'role'],
  ])('finds no role for %s', (_, claims, path) => {
    expect(roleOf(claims, path)).toBeUndefined();
  });

  it('never reads inherited properties', () => {
    expect(roleOf({}, 'constructor.name')).toBeUndefined();
  });

  it('reads back what roleClaims writes', () => {
    expect(roleClaims('realm_access.roles', 'viewer')).toEqual({
      realm_access: { roles: 'viewer' },
    });
    expect(roleOf(roleClaims('realm_access.roles', 'viewer'), 'realm_access.roles')).toBe('viewer');
  });
});

describe('mayUse', () => {
  it('lets an admin do everything and a viewer only read', () => {
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      expect(mayUse('admin', method)).toBe(true);
      expect(mayUse('viewer', method)).toBe(method === 'GET' || method === 'HEAD');
    }
  });
});
