import { principalOf } from '../auth-middleware.js';
import { meResponse } from '../schemas.js';
import type { Route } from './route.js';

/**
 * Who the caller is, as the guard verified the token: the dashboard reads it to show a viewer
 * a read-only page (the server refuses a viewer's commands either way).
 */
export function identityRoutes(): Route[] {
  return [
    {
      method: 'get',
      path: '/api/sync/me',
      summary: "The caller's subject and role, from the verified token",
      auth: true,
      success: { status: 200, description: 'The caller', schema: meResponse },
      errors: [401, 403, 503],
      handle: async (ctx) => {
        const { subject, role } = principalOf(ctx);
        ctx.body = { success: true, subject, role };
      },
    },
  ];
}
