/**
 * The mesh room's boundary: mesh/ reaches Writ only through the public `writ/runtime` entry
 * (`runtime/index.ts`) and the lineage store contract (`runtime/lineage/store.ts`); outside
 * Writ it uses Node's built-ins and `pg`. Nothing else of Writ imports mesh/ but the CLI.
 */
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const ALLOWED = ["runtime/index.ts", "runtime/lineage/store.ts"];
const PACKAGES = ["pg"];

function specifiers(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier !== undefined && ts.isStringLiteral(n.moduleSpecifier)) out.push(n.moduleSpecifier.text);
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] !== undefined && ts.isStringLiteral(n.arguments[0])) out.push(n.arguments[0].text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? tsFiles(join(dir, d.name)) : d.name.endsWith(".ts") ? [join(dir, d.name)] : []));
}

describe("mesh boundaries", () => {
  it("imports only writ/runtime, the store contract, Node built-ins and pg", () => {
    const bad: string[] = [];
    const files = tsFiles(join(ROOT, "mesh"));
    for (const f of files) {
      for (const s of specifiers(f)) {
        if (s.startsWith(".")) {
          const target = relative(ROOT, resolve(dirname(f), s).replace(/\.js$/, ".ts"));
          if (!target.startsWith("mesh/") && !ALLOWED.includes(target)) bad.push(`${relative(ROOT, f)} imports ${target}`);
        } else if (!s.startsWith("node:") && !builtinModules.includes(s) && !PACKAGES.includes(s)) bad.push(`${relative(ROOT, f)} imports ${s}`);
      }
    }
    expect(bad).toEqual([]);
    expect(files.length).toBeGreaterThan(8);
  });

  it("is imported by no other room but the CLI (and its benchmark)", () => {
    const bad: string[] = [];
    for (const room of ["lang", "stdlib", "compiler", "runtime", "playground/src"]) {
      for (const f of tsFiles(join(ROOT, room))) {
        for (const s of specifiers(f)) if (s.startsWith(".") && relative(ROOT, resolve(dirname(f), s)).startsWith("mesh/")) bad.push(`${relative(ROOT, f)} imports ${s}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
