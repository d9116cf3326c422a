/**
 * The playground's rooms: the worker side reaches Writ only through the public entries
 * (what `writ/lang`, `writ/compiler`, `writ/stdlib` export) plus the browser-safe proof
 * check; the page side never loads a Writ stage; the shared UI pieces (`src/shared/`)
 * import nothing but each other, so another app (the governance console) can import them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const SRC = join(ROOT, "playground", "src");

/** The public entries the playground may import, and the one browser-safe runtime module. */
const ALLOWED_OUTSIDE = ["lang/index.ts", "compiler/index.ts", "stdlib/index.ts", "runtime/browser.ts"];

interface Import {
  readonly specifier: string;
  /** Erased at build time (`import type`, or only `type` specifiers). */
  readonly typeOnly: boolean;
}

function importsOf(file: string): Import[] {
  const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const out: Import[] = [];
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
      const c = st.importClause;
      const named = c?.namedBindings !== undefined && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
      const typeOnly = c !== undefined && (c.isTypeOnly || (c.name === undefined && named !== undefined && named.length > 0 && named.every((e) => e.isTypeOnly)));
      out.push({ specifier: st.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier !== undefined && ts.isStringLiteral(st.moduleSpecifier)) {
      const named = st.exportClause !== undefined && ts.isNamedExports(st.exportClause) ? st.exportClause.elements : undefined;
      out.push({ specifier: st.moduleSpecifier.text, typeOnly: st.isTypeOnly || (named !== undefined && named.length > 0 && named.every((e) => e.isTypeOnly)) });
    }
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith(".ts") ? [join(dir, d.name)] : []));
}

/** The repository file a relative specifier names (`.js` → `.ts`); undefined for a package. */
function target(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  return resolve(dirname(from), specifier).replace(/\.js$/, ".ts");
}

const FILES = sourceFiles(SRC);

describe("playground boundaries", () => {
  it("reaches Writ only through the public entries (and the browser-safe proof check)", () => {
    const outside: string[] = [];
    for (const f of FILES) {
      for (const i of importsOf(f)) {
        const t = target(f, i.specifier);
        if (t === undefined || t.startsWith(SRC)) continue;
        const rel = relative(ROOT, t);
        if (!ALLOWED_OUTSIDE.includes(rel)) outside.push(`${relative(ROOT, f)} imports ${rel}`);
      }
    }
    expect(outside).toEqual([]);
    expect(FILES.length).toBeGreaterThan(15);
  });

  it("keeps the shared UI pieces free of the playground, Monaco and the Writ stages", () => {
    const shared = FILES.filter((f) => f.startsWith(join(SRC, "shared")));
    expect(shared.map((f) => relative(SRC, f)).sort()).toEqual(["shared/decision-view.ts", "shared/display.ts", "shared/index.ts", "shared/lineage-model.ts", "shared/lineage-view.ts"]);
    const bad: string[] = [];
    for (const f of shared) {
      for (const i of importsOf(f)) {
        const t = target(f, i.specifier);
        if (t === undefined || !t.startsWith(join(SRC, "shared"))) bad.push(`${relative(SRC, f)} imports ${i.specifier}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("never loads a Writ stage on the page: only the worker runs the compiler", () => {
    const loaded = new Set<string>();
    const visit = (f: string): void => {
      if (loaded.has(f)) return;
      loaded.add(f);
      for (const i of importsOf(f)) {
        if (i.typeOnly) continue;
        const t = target(f, i.specifier);
        if (t !== undefined) visit(t);
      }
    };
    visit(join(SRC, "main.ts"));
    const page = [...loaded].map((f) => relative(ROOT, f)).sort();
    expect(page).toContain("playground/src/shared/decision-view.ts");
    expect(page).toContain("playground/src/lineage-dialog.ts");
    expect(page.filter((f) => !f.startsWith("playground/src/"))).toEqual([]);
    for (const worker of ["writ-api.ts", "writ-service.ts", "hover.ts", "schema-summary.ts"]) expect(page).not.toContain(`playground/src/${worker}`);
  });
});
