import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's promtool, as scripts/install-promtool.sh installs it; overridable for other hosts. */
export const PROMTOOL = process.env.PROMTOOL_PATH ?? '/usr/bin/promtool';
export const HAS_PROMTOOL = existsSync(PROMTOOL);

export interface PromtoolRun {
  readonly code: number;
  readonly output: string;
}

/** Runs promtool in `cwd`; resolves with its exit code and stdout + stderr, never rejects. */
export function promtool(args: readonly string[], cwd: string): Promise<PromtoolRun> {
  return new Promise((resolve) => {
    execFile(PROMTOOL, args, { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}
