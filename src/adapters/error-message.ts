/**
 * One readable sentence-part for any thrown value. A refused connection to a host with
 * several addresses (localhost: ::1 and 127.0.0.1) is an AggregateError whose own message
 * is empty; its first cause says what happened.
 */
export function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && !error.message && error.errors.length > 0) {
    return errorMessage(error.errors[0]);
  }
  return error instanceof Error ? error.message || error.name : String(error);
}
