import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const FORBIDDEN_PACKAGES = [
  'koa',
  '@koa/',
  'bullmq',
  'ioredis',
  'pg',
  'pino',
  'prom-client',
  'jose',
  'inversify',
  'node-pg-migrate',
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const pattern =
    /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;
  return [...text.matchAll(pattern)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

/** Imports of `file` (path relative to src/) that leave `allowedDirs` or name a framework. */
function badImports(file: string, specs: string[], allowedDirs: string[]): string[] {
  return specs.filter((spec) => {
    if (spec.startsWith('.')) {
      const target = join(file, '..', spec);
      return !allowedDirs.some((dir) => target.startsWith(`${dir}/`));
    }
    return FORBIDDEN_PACKAGES.some(
      (p) => spec === p || spec.startsWith(p.endsWith('/') ? p : `${p}/`),
    );
  });
}

function violations(layer: string, allowedDirs: string[]): string[] {
  return sourceFiles(join(root, 'src', layer)).flatMap((path) => {
    const file = relative(join(root, 'src'), path);
    return badImports(file, importsOf(path), allowedDirs).map((spec) => `${file} -> ${spec}`);
  });
}

describe('architecture', () => {
  it('keeps domain/ free of adapters, application and frameworks', () => {
    expect(violations('domain', ['domain'])).toEqual([]);
  });

  it('lets application/ import only domain/', () => {
    expect(violations('application', ['domain', 'application'])).toEqual([]);
  });

  it('keeps the pure rules pure: domain/ outside ports/ declares no class and imports ports only as types', () => {
    const impure = sourceFiles(join(root, 'src', 'domain'))
      .filter((path) => !path.includes('/ports/') && !path.endsWith('/errors.ts'))
      .flatMap((path) => {
        const text = readFileSync(path, 'utf8');
        const file = relative(join(root, 'src'), path);
        const classes = /^export\s+(?:abstract\s+)?class\s/m.test(text) ? [`${file}: a class`] : [];
        const valueImports = [
          ...text.matchAll(/^import\s+(?!type\s)[^;]*from\s+'(\.\/ports\/[^']+)'/gm),
        ].map((m) => `${file}: imports ${m[1]} as a value`);
        return [...classes, ...valueImports];
      });
    expect(impure).toEqual([]);
  });

  it('keeps the orchestration that talks to ports in application/', () => {
    const text = readFileSync(join(root, 'src/application/scheduling-service.ts'), 'utf8');
    expect(text).toMatch(/from '\.\.\/domain\/ports\/clock\.js'/);
  });

  it("composes adapters only through their packages' container modules", () => {
    const adapterImports = importsOf(join(root, 'src/container.ts')).filter((spec) =>
      spec.startsWith('./adapters/'),
    );
    expect(adapterImports.length).toBeGreaterThan(3);
    expect(
      adapterImports.filter(
        (spec) => !/\/module\.js$/.test(spec) && !/observability\/(logger|metrics)\.js$/.test(spec),
      ),
    ).toEqual([]);
  });

  it('lets the service know process components, not the adapters behind them', () => {
    const specs = importsOf(join(root, 'src/service.ts'));
    expect(
      specs.filter((spec) => /adapters\/(postgres|queue|agents|clock|memory)\//.test(spec)),
    ).toEqual([]);
    expect(specs).toContain('./lifecycle.js');
  });

  it('finds imports at all (the check is not vacuous)', () => {
    expect(importsOf(join(root, 'src/application/scheduling-service.ts')).length).toBeGreaterThan(
      3,
    );
    expect(
      badImports('domain/x.ts', ['./ok.js', '../adapters/queue/q.js', 'bullmq', 'pg'], ['domain']),
    ).toEqual(['../adapters/queue/q.js', 'bullmq', 'pg']);
  });
});
