import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { eventually } from './service.js';

const ROOT = new URL('../..', import.meta.url);

/** One service process, started with the real entry point as `npm start` would. */
export class Replica {
  readonly lines: string[] = [];
  readonly exited: Promise<unknown>;
  private readonly child: ChildProcess;

  constructor(
    readonly name: string,
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, SPREAD_MODE: 'window', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) =>
      this.lines.push(...chunk.toString().split('\n').filter(Boolean));
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exited = once(this.child, 'exit');
  }

  /** Parsed JSON log lines (pino). */
  logs(): Record<string, unknown>[] {
    return this.lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  async port(): Promise<number> {
    const line = await eventually(() => this.logs().find((l) => l.step === 'http'), 20_000);
    return (line as Record<string, unknown>).port as number;
  }

  /** Whether this replica's last leadership log line says it leads. */
  leads(): boolean {
    const events = this.logs().filter((l) => l.event === 'leadership');
    return events.at(-1)?.isLeader === true;
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }
}
