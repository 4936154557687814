import type { InvariantResult } from './invariants.js';

/** The closing table: one row per invariant, then the details of every one that failed. */
export function formatTable(results: readonly InvariantResult[]): string[] {
  const rows = results.map((r) => [
    r.name,
    String(r.checked),
    String(r.violations),
    r.violations === 0 ? 'PASS' : 'FAIL',
  ]);
  const header = ['invariant', 'checked', 'violations', 'result'];
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => (row[i] as string).length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(' | ')} |`;
  const out = [
    line(header),
    `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
  ];
  for (const row of rows) out.push(line(row));
  return out;
}

export function formatDetails(results: readonly InvariantResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    for (const note of r.notes) out.push(`  ${r.name}: ${note}`);
  }
  for (const r of results.filter((x) => x.violations > 0)) {
    out.push(
      '',
      `FAIL ${r.name} (${r.violations} violations${r.violations > r.details.length ? `, first ${r.details.length}` : ''}):`,
    );
    for (const detail of r.details) out.push(`  - ${detail}`);
  }
  return out;
}
