import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HAS_PROMTOOL, PROMTOOL, promtool } from '../support/promtool.js';

const DIR = fileURLToPath(new URL('../../deploy/prometheus/', import.meta.url));
const read = (file: string): string => readFileSync(`${DIR}${file}`, 'utf8');

/** Per alert name, the outcomes its unit tests expect: 'fires' or 'silent', once per case. */
function expectations(tests: string): Map<string, Set<'fires' | 'silent'>> {
  const found = new Map<string, Set<'fires' | 'silent'>>();
  const cases = /alertname: (\w+)\n\s+exp_alerts:( \[\])?/g;
  for (const [, name, empty] of tests.matchAll(cases)) {
    const outcomes = found.get(name!) ?? new Set();
    outcomes.add(empty ? 'silent' : 'fires');
    found.set(name!, outcomes);
  }
  return found;
}

if (!HAS_PROMTOOL) {
  describe('Prometheus rules', () => {
    it.skip(`need promtool at ${PROMTOOL}: run scripts/install-promtool.sh as root (Debian's prometheus package)`, () => {});
  });
}

describe.skipIf(!HAS_PROMTOOL)('Prometheus rules (deploy/prometheus)', () => {
  it('are valid for promtool check rules', async () => {
    const run = await promtool(['check', 'rules', 'alerts.yml'], DIR);
    expect(run.output).toContain('SUCCESS');
    expect(run.code, run.output).toBe(0);
  });

  it('pass their unit tests (promtool test rules alerts.test.yml)', async () => {
    const run = await promtool(['test', 'rules', 'alerts.test.yml'], DIR);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('SUCCESS');
  });

  it('test every alert both firing and not firing', () => {
    const alerts = [...read('alerts.yml').matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1]!);
    expect(alerts.length).toBeGreaterThan(5);
    const tested = expectations(read('alerts.test.yml'));
    const untested = alerts.filter(
      (name) => !(tested.get(name)?.has('fires') && tested.get(name)?.has('silent')),
    );
    expect(untested).toEqual([]);
    expect([...tested.keys()].filter((name) => !alerts.includes(name))).toEqual([]);
  });

  it('give every alert a for:, a severity, a summary, a description and a runbook', () => {
    const blocks = read('alerts.yml')
      .split(/^\s+- alert: /m)
      .slice(1);
    for (const block of blocks) {
      const name = block.split('\n')[0];
      for (const field of [
        /^\s+for: \d+[smh]$/m,
        /^\s+severity: (critical|warning)$/m,
        /^\s+summary: /m,
        /^\s+description: /m,
        /^\s+runbook: 'README\.md, section "Alerts and dashboards" › /m,
      ]) {
        expect(block, `${name} lacks ${field}`).toMatch(field);
      }
    }
  });
});
