import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { INVARIANTS } from '../../soak/invariants.js';

const ROOT = new URL('../..', import.meta.url);

/** Runs the soak CLI as `npm run soak` does; resolves with its exit code and output. */
function soak(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'soak/run.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/**
 * The chaos soak, two minutes of it: three real replicas behind TCP proxies, a real worker,
 * seed 1's faults. 100 agents instead of the soak's 500 keep its CPU modest beside the rest
 * of the suite (the full run: `npm run soak`, RELIABILITY.md).
 */
describe('npm run soak (2-minute smoke)', () => {
  it(
    'holds every invariant under seed 1 and lists each one in its table',
    async () => {
      const { code, output } = await soak(['--minutes', '2', '--seed', '1', '--agents', '100']);
      const rows = output.split('\n').filter((line) => line.startsWith('| '));
      for (const name of Object.values(INVARIANTS)) {
        expect(
          rows.some((row) => row.includes(name)),
          `table row for "${name}"`,
        ).toBe(true);
      }
      // On failure the soak's own table and details say which invariant and why.
      expect(code, output.split('\n').slice(-80).join('\n')).toBe(0);
    },
    8 * 60_000,
  );
});
