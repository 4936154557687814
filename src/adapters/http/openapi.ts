import { z } from 'zod';
import type { Route } from './routes/route.js';
import { errorBody } from './schemas.js';

type JsonSchema = Record<string, unknown>;

const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'Invalid type, body or query; `details` names each field and why',
  401: 'Missing, malformed, badly signed or expired token, or the identity provider unreachable',
  403: 'Valid token without a role, or a viewer asking for anything but GET or HEAD',
  404: 'Unknown route, or an agent that is not whitelisted or has no sync state',
  405: 'Method not allowed on this route (see the Allow header)',
  413: 'Body larger than the limit',
  415: 'Body that is not JSON',
  500: 'A bug; the details are in the logs, never in the body',
  503: 'PostgreSQL or Redis unreachable; nothing was changed',
};
const COMMON_ERRORS = [404, 405, 500];
/** The contract's version, not the package's: it changes only when a route or shape does. */
const API_VERSION = '1.5.0';

/** Every reply carries the request's id (the caller's valid X-Request-Id, or a new one). */
const REQUEST_ID_HEADERS = {
  'X-Request-Id': {
    description:
      "The request's id: the X-Request-Id sent (up to 128 characters of A-Z a-z 0-9 . _ : -), else a generated UUID; in the logs and the audit trail",
    schema: { type: 'string' },
  },
};

/** OpenAPI 3.1 uses JSON Schema 2020-12, zod's default target; `$schema` is implied. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
}

const json = (schema: JsonSchema) => ({ 'application/json': { schema } });

function parameters(route: Route): object[] {
  const place = (where: 'path' | 'query', shape: Record<string, z.ZodType>) =>
    Object.entries(shape).map(([name, schema]) => ({
      name,
      in: where,
      required: where === 'path',
      schema: jsonSchema(schema, 'input'),
    }));
  return [
    ...(route.params ? place('path', route.params.shape) : []),
    ...(route.query ? place('query', route.query.shape) : []),
  ];
}

function responses(route: Route): Record<string, object> {
  const { status, description, schema, contentType } = route.success;
  const body = schema ? jsonSchema(schema, 'output') : { type: 'object' };
  const result: Record<string, object> = {
    [status]: {
      description,
      headers: REQUEST_ID_HEADERS,
      content: contentType ? { [contentType]: { schema: { type: 'string' } } } : json(body),
    },
  };
  const error = jsonSchema(errorBody, 'output');
  for (const code of [...route.errors, ...COMMON_ERRORS]) {
    result[code] = {
      description: ERROR_DESCRIPTIONS[code] ?? 'Error',
      headers: REQUEST_ID_HEADERS,
      content: json(error),
    };
  }
  return result;
}

function operation(route: Route): object {
  return {
    summary: route.summary,
    parameters: parameters(route),
    ...(route.body && {
      requestBody: {
        required: route.body.required,
        content: json(jsonSchema(route.body.schema, 'input')),
      },
    }),
    responses: responses(route),
    security: route.auth ? [{ bearerAuth: [] }] : [],
  };
}

/** Builds the document from the very routes the app registers, and their zod schemas. */
export function buildOpenApiDocument(routes: readonly Route[]): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    paths[path] = { ...paths[path], [route.method]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'sync-scheduler admin API', version: API_VERSION },
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}
