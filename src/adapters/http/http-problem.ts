import type { ErrorDetail } from '../../domain/errors.js';

/**
 * An HTTP-level refusal (routing, auth, body parsing) that is not a domain error: it already
 * knows its status, its one-sentence message and any headers the reply must carry.
 */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';

  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
    readonly details: readonly ErrorDetail[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
