/**
 * The rooms of the house stay apart (DESIGN.md, "Architecture"): checked on the import
 * statements of every source file, so a new import across a wall fails here before it
 * ships.
 *
 * - `lang/` imports nothing of ours, and `stdlib/` nothing but types of `lang/` (the
 *   diagnostic type, `like`'s pattern elements: type-only imports vanish at build time);
 * - `compiler/` imports `lang/` and `stdlib/` only;
 * - `runtime/` imports `stdlib/`, `compiler/` and `lang/diagnostics.ts`, never the parser,
 *   and its transitive closure reaches no parsing or checking module;
 * - `runtime/lineage/log.ts` (and everything it imports) imports no `node:` module;
 * - the service rooms (`server/`, `mesh/`, `mcp/`, `console/`) import only the public entries
 *   (`runtime/index.ts`, `runtime/browser.ts`, `compiler/index.ts`, `lang/index.ts`,
 *   `stdlib/index.ts`) and their own files — `console/` also the playground's shared UI pieces
 *   (`playground/src/shared/`) and, type-only, the server's execution index (its wire types); `mesh/` may also import the store contract
 *   (`runtime/lineage/store.ts`) and, for tests it shares, `test/support/store-contract.ts`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

interface Import {
  readonly from: string;
  readonly specifier: string;
  /** The repository file it names (`.js` → `.ts`), or undefined for a package or `node:` module. */
  readonly target: string | undefined;
  readonly typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(join(ROOT, dir))) return [];
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((d) => {
    const rel = join(dir, d.name);
    if (d.isDirectory()) return d.name === "node_modules" || d.name === "dist" ? [] : sourceFiles(rel);
    return d.name.endsWith(".ts") && !d.name.endsWith(".d.ts") ? [rel] : [];
  });
}

const cache = new Map<string, Import[]>();

function importsOf(file: string): Import[] {
  const hit = cache.get(file);
  if (hit !== undefined) return hit;
  const sf = ts.createSourceFile(file, readFileSync(join(ROOT, file), "utf8"), ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const out: Import[] = [];
  const add = (specifier: string, typeOnly: boolean): void => {
    const target = specifier.startsWith(".") ? relative(ROOT, resolve(ROOT, dirname(file), specifier)).replace(/\.js$/, ".ts") : undefined;
    out.push({ from: file, specifier, target, typeOnly });
  };
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const c = n.importClause;
      const named = c?.namedBindings !== undefined && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
      add(n.moduleSpecifier.text, c !== undefined && (c.isTypeOnly || (c.name === undefined && named !== undefined && named.length > 0 && named.every((e) => e.isTypeOnly))));
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier !== undefined && ts.isStringLiteral(n.moduleSpecifier)) {
      const named = n.exportClause !== undefined && ts.isNamedExports(n.exportClause) ? n.exportClause.elements : undefined;
      add(n.moduleSpecifier.text, n.isTypeOnly || (named !== undefined && named.length > 0 && named.every((e) => e.isTypeOnly)));
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] !== undefined && ts.isStringLiteral(n.arguments[0])) {
      add(n.arguments[0].text, false);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  cache.set(file, out);
  return out;
}

/** Imports of the files under `dir` that leave the folder and break `allowed`. */
function violations(dir: string, allowed: (i: Import) => boolean): string[] {
  return sourceFiles(dir).flatMap((f) =>
    importsOf(f)
      .filter((i) => i.target !== undefined && !i.target.startsWith(`${dir}/`) && !allowed(i))
      .map((i) => `${i.from} imports ${i.target}`),
  );
}

/** Every repository file reachable from `entry` through value imports. */
function closure(entry: string): Set<string> {
  const seen = new Set<string>([entry]);
  const todo = [entry];
  while (todo.length > 0) {
    const f = todo.pop()!;
    for (const i of importsOf(f)) {
      if (i.typeOnly || i.target === undefined || seen.has(i.target) || !existsSync(join(ROOT, i.target))) continue;
      seen.add(i.target);
      todo.push(i.target);
    }
  }
  return seen;
}

const PUBLIC_ENTRIES = new Set(["runtime/index.ts", "runtime/browser.ts", "compiler/index.ts", "lang/index.ts", "stdlib/index.ts"]);
const PARSING = /^lang\/(parse|parser|expr-parser|expr-chain|schema-parser|schema-grammar|tokens|printer|schema-printer|layout)\.ts$|^compiler\/(lower|typecheck[^/]*|validate|schema|schema-json|compile)\.ts$/;

describe("the rooms of the house", () => {
  it("lang/ imports nothing of ours, stdlib/ nothing but types of lang/", () => {
    expect(violations("lang", () => false)).toEqual([]);
    expect(violations("stdlib", (i) => i.typeOnly && i.target!.startsWith("lang/"))).toEqual([]);
  });

  it("compiler/ imports lang/ and stdlib/ only", () => {
    expect(violations("compiler", (i) => i.target!.startsWith("lang/") || i.target!.startsWith("stdlib/"))).toEqual([]);
  });

  it("runtime/ imports stdlib/, compiler/ and the diagnostic catalog, and never reaches the parser or the checker", () => {
    expect(violations("runtime", (i) => i.target!.startsWith("stdlib/") || i.target!.startsWith("compiler/") || i.target === "lang/diagnostics.ts" || i.target === "lang/span.ts")).toEqual([]);
    for (const entry of ["runtime/index.ts", "runtime/browser.ts"]) {
      const reached = [...closure(entry)].filter((f) => PARSING.test(f));
      expect(reached, entry).toEqual([]);
    }
  });

  it("the lineage log and what it imports use no node: module (it takes a store and a signer)", () => {
    const nodeImports = [...closure("runtime/lineage/log.ts")].flatMap((f) => importsOf(f).filter((i) => i.specifier.startsWith("node:")).map((i) => `${f}: ${i.specifier}`));
    expect(nodeImports).toEqual([]);
  });

  it("the service rooms import only the public writ/* entries (mesh/ also the store contract)", () => {
    for (const room of ["server", "mcp"]) expect(violations(room, (i) => PUBLIC_ENTRIES.has(i.target!)), room).toEqual([]);
    // The console also shares the playground's UI pieces (which import nothing of Writ), and takes
    // its wire types from the server's execution index (type-only: erased at build time).
    const consoleAllowed = (i: Import): boolean => PUBLIC_ENTRIES.has(i.target!) || i.target!.startsWith("playground/src/shared/") || (i.typeOnly && i.target === "server/lineage-index.ts");
    expect(violations("console", consoleAllowed), "console").toEqual([]);
    expect(sourceFiles("console").length).toBeGreaterThan(5);
    expect(violations("mesh", (i) => PUBLIC_ENTRIES.has(i.target!) || i.target === "runtime/lineage/store.ts")).toEqual([]);
  });

  it("the checks can fail: a deep import and a parser import are seen", () => {
    expect(importsOf("cli/pipeline.ts").some((i) => i.target === "lang/index.ts" || i.target?.startsWith("lang/"))).toBe(true);
    expect([...closure("compiler/compile.ts")].some((f) => PARSING.test(f))).toBe(true);
    expect(violations("cli", (i) => PUBLIC_ENTRIES.has(i.target!)).length).toBeGreaterThan(0);
  });
});
