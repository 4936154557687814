/** The one error family of the core. HTTP maps `kind` to a status in exactly one place. */
export type ErrorKind = 'invalidInput' | 'notFound' | 'unavailable' | 'conflict';

export interface ErrorDetail {
  readonly field: string;
  readonly reason: string;
}

export class SchedulerError extends Error {
  override readonly name = 'SchedulerError';

  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details: readonly ErrorDetail[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const invalidInput = (field: string, reason: string): SchedulerError =>
  new SchedulerError('invalidInput', `${field} ${reason}`, [{ field, reason }]);

export const notFound = (message: string): SchedulerError =>
  new SchedulerError('notFound', message);

export const unavailable = (message: string, cause?: unknown): SchedulerError =>
  new SchedulerError('unavailable', message, [], { cause });

export const isSchedulerError = (error: unknown): error is SchedulerError =>
  error instanceof SchedulerError;
