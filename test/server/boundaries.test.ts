/**
 * The server's room: `server/` reaches Writ only through the public `writ/runtime` entry
 * (`runtime/index.ts`), never a runtime internal, the compiler or the parser; its third-party
 * imports are Fastify and prom-client; the execution index imports nothing at run time, so the
 * console and the mesh can reuse it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const SERVER = join(ROOT, "server");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith(".ts") ? [join(dir, d.name)] : []));
}

/** Every import and re-export of a file: its specifier and whether only types are imported. */
function imports(file: string): { specifier: string; typeOnly: boolean }[] {
  const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const out: { specifier: string; typeOnly: boolean }[] = [];
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) out.push({ specifier: st.moduleSpecifier.text, typeOnly: st.importClause?.isTypeOnly === true });
    if (ts.isExportDeclaration(st) && st.moduleSpecifier !== undefined && ts.isStringLiteral(st.moduleSpecifier)) out.push({ specifier: st.moduleSpecifier.text, typeOnly: st.isTypeOnly });
  }
  return out;
}

const FILES = files(SERVER);

describe("server boundaries", () => {
  it("imports Writ only through runtime/index.ts", () => {
    const bad: string[] = [];
    for (const f of FILES) {
      for (const i of imports(f)) {
        if (!i.specifier.startsWith(".")) continue;
        const target = resolve(dirname(f), i.specifier).replace(/\.js$/, ".ts");
        if (target.startsWith(SERVER) || relative(ROOT, target) === join("runtime", "index.ts")) continue;
        bad.push(`${relative(ROOT, f)} imports ${relative(ROOT, target)}`);
      }
    }
    expect(bad).toEqual([]);
    expect(FILES.length).toBeGreaterThan(10);
  });

  it("uses only node builtins, fastify and prom-client from outside", () => {
    const packages = new Set(FILES.flatMap((f) => imports(f).map((i) => i.specifier)).filter((s) => !s.startsWith(".")));
    for (const p of packages) expect(p.startsWith("node:") || p === "fastify" || p === "prom-client", p).toBe(true);
  });

  it("the execution index imports nothing at run time", () => {
    expect(imports(join(SERVER, "lineage-index.ts")).every((i) => i.typeOnly)).toBe(true);
  });
});
