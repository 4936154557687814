import type { z } from 'zod';

/** Parses a request part; a failure throws the ZodError, which the error mapper turns into 400. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw result.error;
  return result.data;
}
