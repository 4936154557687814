import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** String literals and template-literal text of a TypeScript or JavaScript file, via the compiler. */
function literalsOfScript(path: string, text: string): string[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      found.push(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Anything quoted in a file that is not a script (HTML, CSS): a regex is enough there. */
function literalsOfText(text: string): string[] {
  return [...text.matchAll(/"([^"\n]*)"|'([^'\n]*)'|`([^`]*)`/g)].map(
    (m) => m[1] ?? m[2] ?? m[3] ?? '',
  );
}

/**
 * Every distinct non-empty string written in the files under `dir`: the candidates an attacker
 * who reads the source would try as the signing secret.
 */
export function sourceStrings(dir: string): string[] {
  const all = new Set<string>();
  for (const path of filesUnder(dir)) {
    const text = readFileSync(path, 'utf8');
    const literals = /\.[cm]?[jt]s$/.test(path)
      ? literalsOfScript(path, text)
      : literalsOfText(text);
    for (const literal of literals) if (literal.length > 0) all.add(literal);
  }
  return [...all];
}
