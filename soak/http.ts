import { signToken } from '../src/adapters/http/auth.js';

export interface Answer {
  /** null: no answer (refused, reset, timed out). */
  readonly status: number | null;
  readonly body: Record<string, unknown> | undefined;
  readonly text: string;
  readonly sentAt: number;
  readonly answeredAt: number;
  readonly error?: string;
}

export interface ServerError {
  readonly at: number;
  readonly replica: string;
  readonly request: string;
  readonly status: number;
  readonly body: string;
}

/**
 * Every request the soak makes to a replica goes through here, so that every status is
 * counted: the "no 5xx other than 503" invariant sees all of them.
 */
export class SoakHttp {
  readonly statuses = new Map<number, number>();
  readonly serverErrors: ServerError[] = [];
  noAnswer = 0;
  private token: Promise<string> | undefined;

  constructor(private readonly jwtSecret: string) {}

  async request(
    replica: string,
    port: number,
    method: string,
    path: string,
    options: { body?: unknown; timeoutMs: number },
  ): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (path.startsWith('/api/')) headers.authorization = `Bearer ${await this.jwt()}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const sentAt = Date.now();
    try {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const text = await response.text();
      const answeredAt = Date.now();
      this.statuses.set(response.status, (this.statuses.get(response.status) ?? 0) + 1);
      if (response.status >= 500 && response.status !== 503) {
        this.serverErrors.push({
          at: answeredAt,
          replica,
          request: `${method} ${path}`,
          status: response.status,
          body: text.slice(0, 500),
        });
      }
      return { status: response.status, body: parse(text), text, sentAt, answeredAt };
    } catch (error) {
      this.noAnswer++;
      return {
        status: null,
        body: undefined,
        text: '',
        sentAt,
        answeredAt: Date.now(),
        error: error instanceof Error ? error.message : String(error),
      };
    }
  }

  get answered(): number {
    let total = 0;
    for (const count of this.statuses.values()) total += count;
    return total;
  }

  private jwt(): Promise<string> {
    this.token ??= signToken(this.jwtSecret, { subject: 'soak', ttl: '12h' });
    return this.token;
  }
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
