/**
 * `writ demo`: compile the bundled `examples/` projects and decide their example
 * requests, printing each decision with the policies (and `@reason` texts) that
 * determined it. Works from any current directory: `examples/` is located
 * relative to this module, inside the installed package.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PolicySet } from "../lang/ast.js";
import { EntityUID } from "../stdlib/value.js";
import { EXIT_PROBLEMS, fail, type Output } from "./io.js";
import { runDiscovered } from "./test-runner.js";
import { TestLoader } from "./test-loader.js";
import type { CaseOutcome } from "./test-outcome.js";
import { discoverTestFiles } from "./test-files.js";

/** The `examples/` folder of the installed package, found by walking up from this module. */
export function examplesDir(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = join(dir, "examples");
    if (existsSync(join(dir, "package.json")) && existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The first paragraph of a project's README.md (after its title), if any. */
export function summaryOf(projectDir: string): string | undefined {
  const readme = join(projectDir, "README.md");
  if (!existsSync(readme)) return undefined;
  const paragraphs = readFileSync(readme, "utf8").split(/\r?\n\s*\r?\n/).map((p) => p.trim());
  const first = paragraphs.find((p) => p !== "" && !p.startsWith("#"));
  return first === undefined ? undefined : first.replace(/\s*\n\s*/g, " ");
}

function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines.join("\n");
}

/** Policy name → `@reason` text, for the policies of a set that carry one. */
export function reasonTexts(ps: PolicySet): Map<string, string> {
  const out = new Map<string, string>();
  ps.policies.forEach((p, i) => {
    const id = p.annotations.find((a) => a.name === "id")?.value ?? `policy${i}`;
    const reason = p.annotations.find((a) => a.name === "reason")?.value;
    if (reason !== undefined) out.set(id, reason);
  });
  return out;
}

function uidText(u: EntityUID | undefined): string {
  return u === undefined ? "?" : u.key;
}

function describeRequest(o: Extract<CaseOutcome, { kind: "request" }>, reasons: Map<string, string>): string[] {
  const pad = "         ";
  const r = o.request;
  const d = o.decision;
  const lines: string[] = [];
  const verdict = d === undefined ? "ERROR" : d.decision.toUpperCase();
  lines.push(`  ${verdict.padEnd(6)} ${o.spec.description}${o.passed ? "" : `   <-- NOT AS EXPECTED: ${o.detail}`}`);
  if (r !== undefined) lines.push(`${pad}${uidText(r.principal)} -> ${uidText(r.action)} -> ${uidText(r.resource)}`);
  if (d === undefined) return lines;
  if (d.reasons.length === 0 && d.decision === "deny" && d.errors.length === 0) lines.push(`${pad}no policy permits it (default deny)`);
  for (const name of d.reasons) {
    const why = reasons.get(name);
    lines.push(`${pad}${d.decision === "allow" ? "permitted by" : "forbidden by"} ${name}${why === undefined ? "" : `: ${why}`}`);
  }
  for (const e of d.errors) lines.push(`${pad}policy ${e.policy} errored: ${e.code} ${e.message}`);
  return lines;
}

/** Run `writ demo`. Exit 0 when every example decision is as its test file expects. */
export function runDemo(io: Output, dir: string | undefined = examplesDir()): number {
  if (dir === undefined) fail("W5001", "cannot find the examples/ folder of the writ package", { file: "examples" });
  const projects = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort();
  const loader = new TestLoader("fail-closed");
  let passed = 0;
  let failed = 0;
  io.out("Writ demo: compiling the example projects and deciding their example requests\n");
  io.out("(semantics: fail-closed; any satisfied forbid overrides every permit; default deny)\n");
  for (const name of projects) {
    const found = discoverTestFiles([join(dir, name)]);
    if (found.length === 0) continue;
    io.out(`\n== ${name} ==\n`);
    const about = summaryOf(join(dir, name));
    if (about !== undefined) io.out(`${wrap(about, 90)}\n\n`);
    const totals = runDiscovered(found, loader, (o) => {
      switch (o.kind) {
        case "validation":
          io.out(o.passed ? "  policies validate against the schema\n" : `  VALIDATION MISMATCH: ${o.detail}\n`);
          return;
        case "problem":
          io.out(`  PROBLEM: ${o.detail}\n`);
          return;
        case "request": {
          const ps = loader.policySet(o.policies).value;
          const reasons = ps === undefined ? new Map<string, string>() : reasonTexts(ps);
          io.out(`${describeRequest(o, reasons).join("\n")}\n`);
          return;
        }
      }
    });
    passed += totals.passed;
    failed += totals.failed;
  }
  io.out(`\n${passed} passed, ${failed} failed\n`);
  return failed > 0 ? EXIT_PROBLEMS : 0;
}
