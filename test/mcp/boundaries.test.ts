/**
 * The gateway's room: mcp/ reaches Writ only through the public `writ/runtime` entry (plus the
 * MCP SDK and Node), and `writ mcp` is loaded lazily, so `writ --version` never loads the SDK.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { writ } from "./support.js";

const ROOT = resolve(import.meta.dirname, "../..");
const MCP = join(ROOT, "mcp");

/** Static import and export specifiers of a file (type-only ones flagged). */
function importsOf(file: string): { specifier: string; typeOnly: boolean }[] {
  const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const out: { specifier: string; typeOnly: boolean }[] = [];
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) out.push({ specifier: st.moduleSpecifier.text, typeOnly: st.importClause?.isTypeOnly === true });
    else if (ts.isExportDeclaration(st) && st.moduleSpecifier !== undefined && ts.isStringLiteral(st.moduleSpecifier)) out.push({ specifier: st.moduleSpecifier.text, typeOnly: st.isTypeOnly });
  }
  return out;
}

describe("mcp/ boundaries", () => {
  const files = readdirSync(MCP).filter((f) => f.endsWith(".ts"));

  it("has its entry and its pieces", () => {
    expect(files).toEqual(expect.arrayContaining(["index.ts", "gateway.ts", "mapping.ts", "obligations.ts", "decider.ts", "remote.ts", "stdio.ts", "jsonrpc.ts", "answers.ts"]));
  });

  it("imports only writ/runtime's public entry, its own files, the MCP SDK and node:", () => {
    const bad: string[] = [];
    for (const f of files) {
      for (const i of importsOf(join(MCP, f))) {
        const s = i.specifier;
        if (s.startsWith("node:") || s.startsWith("@modelcontextprotocol/sdk/")) continue;
        if (!s.startsWith(".")) {
          bad.push(`${f}: ${s}`);
          continue;
        }
        const target = relative(ROOT, resolve(dirname(join(MCP, f)), s)).replace(/\.js$/, ".ts");
        if (target === join("runtime", "index.ts") || dirname(target) === "mcp") continue;
        bad.push(`${f}: ${s}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("the CLI loads writ mcp lazily: main.ts and the service commands' registration import neither cli/mcp nor mcp/ statically", () => {
    const main = join(ROOT, "cli", "main.ts");
    const register = join(ROOT, "cli", "service-register.ts");
    for (const f of [main, register]) {
      const statics = importsOf(f).filter((i) => !i.typeOnly).map((i) => i.specifier);
      expect(statics.filter((s) => s.includes("mcp")), f).toEqual([]);
    }
    expect(importsOf(main).map((i) => i.specifier)).toContain("./service-register.js");
    expect(readFileSync(register, "utf8")).toContain('await import("./mcp.js")');
    const v = writ(["--version"]);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
