import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { startTcpProxy } from '../test/support/tcp-proxy.js';
import { ProxyControl } from './proxy-control.js';

const ROOT = new URL('..', import.meta.url);

/** The same URL, pointed at a local proxy's port (test/support's throughProxy, by port). */
const viaPort = (url: string, port: number): string => {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString();
};

/** A replica log line that says a promise or an exception escaped. */
const ESCAPED = /unhandled|uncaught/i;

export interface ProcessStart {
  readonly slot: number;
  readonly pid: number;
  readonly at: number;
  /** First time its HTTP port answered the soak (set by the pollers). */
  readyAt?: number;
}

export interface ProcessExit {
  readonly slot: number;
  readonly pid: number;
  readonly at: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The signal the soak sent it (SIGKILL, SIGTERM), or null: nobody asked it to go. */
  readonly causedBy: NodeJS.Signals | null;
}

export interface LogFinding {
  readonly slot: number;
  readonly pid: number;
  readonly at: number;
  readonly line: string;
}

/** Everything the replicas' logs told the soak, tallied as the lines arrive. */
export class LogTally {
  lines = 0;
  readonly escaped: LogFinding[] = [];
  /** level ≥ 50 (error, fatal): message → count (informational). */
  readonly errors = new Map<string, number>();
  readonly events = new Map<string, number>();
  readonly injections: LogFinding[] = [];

  take(slot: number, pid: number, line: string): void {
    this.lines++;
    if (ESCAPED.test(line))
      this.escaped.push({ slot, pid, at: Date.now(), line: line.slice(0, 2_000) });
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof parsed.event === 'string') {
      this.events.set(parsed.event, (this.events.get(parsed.event) ?? 0) + 1);
      if (parsed.event === 'soak_fault_injection') {
        this.injections.push({ slot, pid, at: Date.now(), line });
      }
    }
    if (typeof parsed.level === 'number' && parsed.level >= 50) {
      // Numbers and ids vary per line; group by the message's shape.
      const shape = String(parsed.msg).replace(/\d+/g, 'N').slice(0, 160);
      this.errors.set(shape, (this.errors.get(shape) ?? 0) + 1);
    }
  }
}

export interface ReplicaSlotOptions {
  readonly index: number;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly env: Readonly<Record<string, string>>;
  /** Extra `node` flags before the entry point (the broken-fencing preload). */
  readonly nodeFlags: readonly string[];
  readonly logFile: string;
  readonly tally: LogTally;
  readonly onStart: (start: ProcessStart) => void;
  readonly onExit: (exit: ProcessExit) => void;
}

/**
 * One replica's place in the cluster: its own proxies in front of PostgreSQL and Redis (so a
 * fault can hit one replica or all), and the process itself, `node dist/main.js` as
 * `npm start` runs it, restarted by the soak after a kill or a SIGTERM.
 */
export class ReplicaSlot {
  readonly name: string;
  private child: ChildProcess | undefined;
  private current: ProcessStart | undefined;
  private portOf: number | undefined;
  private causedBy: NodeJS.Signals | null = null;
  private exitWaiters: (() => void)[] = [];
  private stoppedBySignal = false;
  private readonly log: WriteStream;

  private constructor(
    private readonly options: ReplicaSlotOptions,
    readonly pg: ProxyControl,
    readonly redis: ProxyControl,
  ) {
    this.name = `r${options.index + 1}`;
    this.log = createWriteStream(options.logFile, { flags: 'a' });
  }

  static async create(options: ReplicaSlotOptions): Promise<ReplicaSlot> {
    const target = (url: string, port: number) => {
      const parsed = new URL(url);
      return { host: parsed.hostname, port: Number(parsed.port || port) };
    };
    const name = `r${options.index + 1}`;
    const pg = new ProxyControl(
      `${name}/pg`,
      await startTcpProxy(target(options.databaseUrl, 5432)),
    );
    const redis = new ProxyControl(
      `${name}/redis`,
      await startTcpProxy(target(options.redisUrl, 6379)),
    );
    return new ReplicaSlot(options, pg, redis);
  }

  get index(): number {
    return this.options.index;
  }

  /** The running process (undefined while down). */
  get process(): ProcessStart | undefined {
    return this.child ? this.current : undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Its HTTP port once the running process has said it listens. */
  get port(): number | undefined {
    return this.child ? this.portOf : undefined;
  }

  /** Running and not frozen. */
  get up(): boolean {
    return this.child !== undefined && !this.stoppedBySignal;
  }

  start(): void {
    if (this.child) throw new Error(`${this.name} is already running`);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      ...this.options.env,
      DATABASE_URL: viaPort(this.options.databaseUrl, this.pg.port),
      REDIS_URL: viaPort(this.options.redisUrl, this.redis.port),
      PORT: '0',
    };
    const child = spawn(process.execPath, [...this.options.nodeFlags, 'dist/main.js'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid as number;
    this.child = child;
    this.portOf = undefined;
    this.causedBy = null;
    this.stoppedBySignal = false;
    this.current = { slot: this.index, pid, at: Date.now() };
    this.options.onStart(this.current);
    this.log.write(`--- ${new Date().toISOString()} ${this.name} pid ${pid} started\n`);
    let rest = '';
    const collect = (chunk: Buffer) => {
      const text = rest + chunk.toString();
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) this.line(pid, line);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('exit', (code, signal) => {
      if (rest) this.line(pid, rest);
      this.log.write(
        `--- ${new Date().toISOString()} ${this.name} pid ${pid} exited code=${code} signal=${signal}\n`,
      );
      if (this.child === child) this.child = undefined;
      this.options.onExit({
        slot: this.index,
        pid,
        at: Date.now(),
        code,
        signal,
        causedBy: this.causedBy,
      });
      for (const wake of this.exitWaiters.splice(0)) wake();
    });
  }

  private line(pid: number, line: string): void {
    if (!line) return;
    this.log.write(`${line}\n`);
    this.options.tally.take(this.index, pid, line);
    if (this.portOf === undefined && line.includes('"step":"http"')) {
      try {
        const port = (JSON.parse(line) as { port?: unknown }).port;
        if (typeof port === 'number') this.portOf = port;
      } catch {
        // Not JSON after all: keep waiting for the line.
      }
    }
  }

  /** Sends a signal; SIGKILL and SIGTERM are recorded as the cause of the exit that follows. */
  signal(signal: NodeJS.Signals): void {
    if (!this.child) return;
    // The first cause counts: a SIGTERM that needed a SIGKILL after it is still a SIGTERM exit.
    if ((signal === 'SIGKILL' || signal === 'SIGTERM') && this.causedBy === null)
      this.causedBy = signal;
    if (signal === 'SIGSTOP') this.stoppedBySignal = true;
    if (signal === 'SIGCONT') this.stoppedBySignal = false;
    this.child.kill(signal);
  }

  /** Resolves once the current process has exited, or after `ms` (false then). */
  exited(ms: number): Promise<boolean> {
    if (!this.child) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.exitWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** End of run: SIGCONT if frozen, SIGTERM, SIGKILL after `ms`. */
  async shutdown(ms = 6_000): Promise<void> {
    if (!this.child) return;
    if (this.stoppedBySignal) this.signal('SIGCONT');
    this.signal('SIGTERM');
    if (!(await this.exited(ms))) {
      this.signal('SIGKILL');
      await this.exited(ms);
    }
  }

  async close(): Promise<void> {
    await this.pg.close();
    await this.redis.close();
    await new Promise<void>((resolve) => this.log.end(resolve));
  }
}
