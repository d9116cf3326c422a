/**
 * The command-line conventions of `writ` (as in tsc, eslint, cedar, opa):
 * did-you-mean for commands and options, `-` for standard input and output,
 * errors answered in every machine format, folders walked, colour only on a
 * terminal (NO_COLOR, FORCE_COLOR, --color/--no-color), bare `writ` prints help
 * and fails, and the `eval --bundle` state file placed or turned off.
 * Standard-input cases run the real binary; the rest run in process.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { answerFormatOf, commanderLine, runCli } from "../../cli/main.js";
import { memoryOutput, parseProblemLine, problemLine, renderProblem, type Output, type Problem } from "../../cli/io.js";
import { colourWanted, paintDiagnostics } from "../../cli/colour.js";
import { CommanderError } from "commander";
import { CATALOG, type DiagnosticCode } from "../../lang/diagnostics.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const DOC = join(ROOT, "examples", "doc-sharing");
const SCHEMA = join(DOC, "schema.cedarschema");
const POLICIES = join(DOC, "policies.cedar");
const ENTITIES = join(DOC, "entities.json");
const REQUEST = JSON.stringify({
  principal: { type: "DocShare::User", id: "alice" },
  action: { type: "DocShare::Action", id: "view" },
  resource: { type: "DocShare::Document", id: "q3-roadmap" },
  context: { mfa: true, sourceIp: "10.1.2.3" },
});
const ESC = "\x1b[";

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "writ-conventions-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function put(name: string, text: string | Uint8Array): string {
  const p = join(tmp, name);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The real binary, with `input` on its standard input. */
function bin(args: readonly string[], input = "", env: NodeJS.ProcessEnv = {}, cwd = tmp): Run {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "writ.js"), ...args], { cwd, input, encoding: "utf8", env: { ...process.env, NO_COLOR: "", FORCE_COLOR: undefined, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** In process; `tty` makes the captured streams look like terminals. */
async function writ(args: readonly string[], opts: { tty?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  const mem = memoryOutput();
  const io: Output = opts.tty === true ? { out: mem.out, err: mem.err, tty: { out: true, err: true } } : mem;
  const code = await runCli(args, io, opts.env ?? {});
  return { code, stdout: mem.stdout(), stderr: mem.stderr() };
}

describe("did you mean", () => {
  it("suggests the nearest command, on the one error line", async () => {
    const r = await writ(["chek", "x.cedar"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("writ: error W5008: unknown command 'chek' (did you mean `check`?)\n");
  });

  it("suggests the nearest option, also of a subcommand", async () => {
    expect((await writ(["check", "--schmea", SCHEMA, POLICIES])).stderr).toBe("writ: error W5008: unknown option '--schmea' (did you mean `--schema`?)\n");
    expect((await writ(["fmt", "--chek", POLICIES])).stderr).toBe("writ: error W5008: unknown option '--chek' (did you mean `--check`?)\n");
    expect((await writ(["lineage", "verfy"])).stderr).toBe("writ: error W5008: unknown command 'verfy' (did you mean `verify`?)\n");
  });

  it("says nothing more when nothing is near", async () => {
    expect((await writ(["frobnicate"])).stderr).toBe("writ: error W5008: unknown command 'frobnicate'\n");
  });

  it("renders commander's multi-suggestion form on one line", () => {
    const err = new CommanderError(1, "commander.unknownOption", "error: unknown option '--x'\n(Did you mean one of --xa, --xb?)");
    expect(commanderLine(err)).toBe("writ: error W5008: unknown option '--x' (did you mean `--xa, --xb`?)");
  });
});

describe("bare writ", () => {
  it("prints the help on stderr and exits 2", async () => {
    const r = await writ([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^Usage: writ \[options\] \[command\]/);
    for (const c of ["check", "eval", "compile", "fmt", "test", "diff", "init", "lineage"]) expect(r.stderr).toContain(`  ${c}`);
  });
});

describe("- for standard input and output", () => {
  it("check - reads the policies from stdin", () => {
    const r = bin(["check", "-", "--schema", SCHEMA], readFileSync(POLICIES, "utf8"));
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("ok: 8 policies in 1 file validated\n");
    expect(r.code).toBe(0);
  });

  it("stdin is named <stdin> in diagnostics", () => {
    const r = bin(["check", "-"], "permit (principal, action, resource) when { };");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^<stdin>:1:\d+: error W1\d{3}: /);
  });

  it("eval --request - and --entities - read stdin", () => {
    const base = ["eval", "--policies", POLICIES, "--schema", SCHEMA];
    const a = bin([...base, "--entities", ENTITIES, "--request", "-", "--json"], REQUEST);
    expect(a.stderr).toBe("");
    expect(JSON.parse(a.stdout)).toMatchObject({ decision: "allow" });
    const b = bin([...base, "--entities", "-", "--request", put("req.json", REQUEST), "--json"], readFileSync(ENTITIES, "utf8"));
    expect(JSON.parse(b.stdout)).toMatchObject({ decision: "allow" });
  });

  it("reads stdin once: a second - is a W5008", () => {
    const r = bin(["eval", "--policies", POLICIES, "--entities", "-", "--request", "-"], "[]");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("writ: error W5008: standard input (`-`) can be read only once per command\n");
  });

  it("fmt - formats stdin to stdout; fmt --check - lists <stdin> and exits 1 when unformatted", () => {
    const messy = "permit(principal,action,resource)when{true};";
    const r = bin(["fmt", "-"], messy);
    expect(r.stdout).toBe("permit (principal, action, resource)\nwhen { true };\n");
    expect(r.code).toBe(0);
    const c = bin(["fmt", "--check", "-"], messy);
    expect([c.code, c.stdout]).toEqual([1, "<stdin>\n"]);
    expect(bin(["fmt", "--check", "-"], r.stdout).code).toBe(0);
  });

  it("compile -o - writes the bundle to stdout (and nothing named -)", () => {
    const r = bin(["compile", POLICIES, "--schema", SCHEMA, "-o", "-", "--sequence", "3"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: "writ-bundle/1", sequence: 3 });
    expect(r.stderr).toMatch(/^wrote the bundle to standard output: 8 policies, sequence 3, unsigned\n/);
    expect(existsSync(join(tmp, "-"))).toBe(false);
    const both = bin(["compile", POLICIES, "--schema", SCHEMA, "-o", "-", "--json"]);
    expect([both.code, both.stderr]).toEqual([2, "writ: error W5008: -o - and --json both print to standard output: choose one\n"]);
  });

  it("diff - and eval --bundle - read a bundle from stdin", () => {
    const bundle = bin(["compile", POLICIES, "--schema", SCHEMA, "-o", "-"]).stdout;
    const b = put("b.json", bundle);
    const d = bin(["diff", "-", b], bundle);
    expect([d.code, d.stdout.trimEnd().split("\n").pop()]).toEqual([0, "identical (8 policies)"]);
    const e = bin(["eval", "--bundle", "-", "--no-state", "--entities", ENTITIES, "--request", put("r.json", REQUEST)], bundle);
    expect(e.stdout).toMatch(/^decision: allow\n/);
  });

  it("test - runs a test file from stdin, its paths resolved from the current folder", () => {
    const t = JSON.stringify({ policies: "policies.cedar", entities: "entities.json", schema: "schema.cedarschema", requests: [{ ...JSON.parse(REQUEST), description: "alice views", decision: "allow", reason: ["owner-full-access", "design-team-folder"], errors: [] }] });
    const r = bin(["test", "-"], t, {}, DOC);
    expect(r.stdout).toBe("1 passed, 0 failed\n");
    expect(r.code).toBe(0);
  });
});

describe("errors in every machine format", () => {
  const missing = () => join(tmp, "missing.cedar");

  it("check --format json answers bad input with a JSON object on stdout (and the line on stderr)", async () => {
    const r = await writ(["check", missing(), "--format", "json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${missing()}: error W5001: cannot read file: no such file or directory\n`);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: false,
      exitCode: 2,
      errors: 1,
      diagnostics: [{ file: missing(), severity: "error", code: "W5001", message: "cannot read file: no such file or directory" }],
    });
  });

  it("positions are kept: malformed JSON in eval --json", async () => {
    const bad = put("bad.json", '{\n  "principal": }');
    const r = await writ(["eval", "--policies", POLICIES, "--entities", ENTITIES, "--request", bad, "--json"]);
    const answer = JSON.parse(r.stdout) as { diagnostics: Record<string, unknown>[] };
    expect(answer.diagnostics[0]).toMatchObject({ file: bad, line: 2, code: "W5002" });
  });

  it("usage errors too (found while parsing the arguments)", async () => {
    for (const args of [["diff", "a.json", "--json", "--bogus"], ["compile", POLICIES, "--json"], ["test", "--format=json", missing()], ["lineage", "show", "1", "--json", "--dir", tmp]]) {
      const r = await writ(args);
      expect(r.code, args.join(" ")).toBe(2);
      const answer = JSON.parse(r.stdout) as { ok: boolean; diagnostics: { code: string }[] };
      expect(answer.ok).toBe(false);
      expect(answer.diagnostics.length).toBeGreaterThan(0);
    }
  });

  it("--format sarif answers with a SARIF log whose invocation failed", async () => {
    const r = await writ(["check", missing(), "--format", "sarif"]);
    const log = JSON.parse(r.stdout) as { version: string; runs: { invocations: unknown[]; results: { ruleId: string }[]; tool: { driver: { rules: { id: string }[] } } }[] };
    expect(log.version).toBe("2.1.0");
    expect(log.runs[0]!.invocations).toEqual([{ executionSuccessful: false, exitCode: 2 }]);
    expect(log.runs[0]!.results.map((x) => x.ruleId)).toEqual(["W5001"]);
    expect(log.runs[0]!.tool.driver.rules.map((x) => x.id)).toEqual(["W5001"]);
  });

  it("--format junit answers with an <error> case; --format github with an annotation", async () => {
    const j = await writ(["test", missing(), "--format", "junit"]);
    expect(j.stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="writ" tests="1" failures="0" errors="1">/);
    expect(j.stdout).toContain('type="W5001"');
    const g = await writ(["check", missing(), "--format", "github"]);
    expect(g.stdout).toBe(`::error file=${missing().replace(/:/g, "%3A")},title=W5001::cannot read file: no such file or directory\n`);
  });

  it("the answer format is read from the arguments", () => {
    expect(answerFormatOf(["check", "x", "--format", "json"])).toBe("json");
    expect(answerFormatOf(["check", "--format=sarif"])).toBe("sarif");
    expect(answerFormatOf(["eval", "--json"])).toBe("json");
    expect(answerFormatOf(["lineage", "export", "--format", "in-toto"])).toBe("text");
    expect(answerFormatOf(["check", "--", "--json"])).toBe("text");
  });

  it("always: a rendered problem line reads back as the same problem", () => {
    const codes = Object.keys(CATALOG) as DiagnosticCode[];
    const problem = fc.record({
      file: fc.string({ minLength: 1 }).filter((f) => !/[:\n]/.test(f)),
      pos: fc.option(fc.tuple(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 1e6 })), { nil: undefined }),
      code: fc.constantFrom(...codes),
      message: fc.string().map((m) => m.replace(/\s*\n\s*/g, " ")),
    });
    fc.assert(
      fc.property(problem, ({ file, pos, code, message }) => {
        const p: Problem = { file, ...(pos === undefined ? {} : { line: pos[0], column: pos[1] }), severity: CATALOG[code].severity, code, message };
        expect(parseProblemLine(renderProblem(p))).toEqual(p);
      }),
    );
    expect(parseProblemLine(problemLine("W5001", "x: error W5002: y", { file: "a.cedar" }))).toMatchObject({ file: "a.cedar", code: "W5001", message: "x: error W5002: y" });
  });
});

describe("folders are walked everywhere", () => {
  it("check <dir> checks every .cedar and .writ file below it", async () => {
    const dir = join(tmp, "walk");
    put("walk/a.cedar", "permit (principal, action, resource);\n");
    put("walk/sub/b.writ", "forbid (principal, action, resource);\npermit (principal, action, resource);\n");
    put("walk/.hidden/c.cedar", "this does not parse");
    put("walk/notes.txt", "not a policy");
    const r = await writ(["check", dir]);
    expect(r.stdout).toBe("ok: 3 policies in 2 files parsed (no schema given: not validated)\n");
    expect(r.code).toBe(0);
  });

  it("eval --policies and compile take folders too", async () => {
    const dir = join(tmp, "docs-only");
    put("docs-only/policies.cedar", readFileSync(POLICIES, "utf8"));
    const e = await writ(["eval", "--policies", dir, "--schema", SCHEMA, "--entities", ENTITIES, "--request", put("r2.json", REQUEST)]);
    expect(e.stdout).toMatch(/^decision: allow\n/);
    const c = await writ(["compile", dir, "--schema", SCHEMA, "--json"]);
    expect((JSON.parse(c.stdout) as { policies: unknown[] }).policies).toHaveLength(8);
  });

  it("a folder without policy files is refused, so a wrong path never checks nothing", async () => {
    const dir = join(tmp, "nothing-here");
    mkdirSync(dir, { recursive: true });
    const r = await writ(["check", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nothing-here: error W5001: no policy files \(.cedar, .writ\) in this folder\n$/);
  });
});

describe("colour", () => {
  const bad = () => put("colour.cedar", "permit (principal, action, resource) when { resource.ownr == principal };\n");

  it("colours diagnostics on a terminal, and nothing otherwise", async () => {
    const tty = await writ(["check", bad(), "--schema", SCHEMA], { tty: true });
    expect(tty.stdout).toContain(`${ESC}1m${ESC}31merror${ESC}39m${ESC}22m`);
    expect(tty.stdout.replace(/\x1b\[\d+m/g, "")).toBe((await writ(["check", bad(), "--schema", SCHEMA])).stdout);
    expect((await writ(["check", bad(), "--schema", SCHEMA])).stdout).not.toContain(ESC);
  });

  it("NO_COLOR, FORCE_COLOR, --color and --no-color decide, flags first", async () => {
    const out = async (args: string[], tty: boolean, env: NodeJS.ProcessEnv): Promise<boolean> => (await writ(["check", bad(), "--schema", SCHEMA, ...args], { tty, env })).stdout.includes(ESC);
    expect(await out([], true, { NO_COLOR: "1" })).toBe(false);
    expect(await out([], true, { NO_COLOR: "" })).toBe(true);
    expect(await out([], false, { FORCE_COLOR: "1" })).toBe(true);
    expect(await out([], true, { FORCE_COLOR: "0" })).toBe(false);
    expect(await out(["--color"], false, { NO_COLOR: "1" })).toBe(true);
    expect(await out(["--no-color"], true, { FORCE_COLOR: "1" })).toBe(false);
  });

  it("error lines on stderr are coloured by the same rules", async () => {
    const r = await writ(["check", join(tmp, "nope.cedar")], { tty: true });
    expect(r.stderr).toContain(`${ESC}2mW5001${ESC}22m`);
    expect(r.stderr.replace(/\x1b\[\d+m/g, "")).toMatch(/nope\.cedar: error W5001: cannot read file/);
  });

  it("the real binary colours nothing when stdout is a pipe", () => {
    expect(bin(["check", bad(), "--schema", SCHEMA]).stdout).not.toContain(ESC);
    expect(bin(["check", bad(), "--schema", SCHEMA], "", { FORCE_COLOR: "1" }).stdout).toContain(ESC);
  });

  it("always: painting adds only escape sequences", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constant("a.cedar:1:2: error W1001: x"), fc.constant("   ^^^"), fc.constant("  help: y"))), (lines) => {
        const text = lines.join("\n");
        expect(paintDiagnostics(text).replace(/\x1b\[\d+m/g, "")).toBe(text.replace(/\x1b\[\d+m/g, ""));
      }),
    );
    expect(colourWanted(false, undefined, {})).toBe(false);
    expect(colourWanted(true, undefined, {})).toBe(true);
  });
});

describe("eval --bundle state file", () => {
  function bundleAt(seq: number): string {
    return put(`state/b${seq}.json`, bin(["compile", POLICIES, "--schema", SCHEMA, "-o", "-", "--sequence", String(seq)]).stdout);
  }

  it("--help says where the state is kept and how to move or turn it off", async () => {
    const r = await writ(["eval", "--help"]);
    expect(r.stdout).toContain(".writ/bundle-state.json");
    expect(r.stdout).toContain("--state <file>");
    expect(r.stdout).toContain("--no-state");
  });

  it("--state places it; --no-state neither reads nor writes one; the default is .writ/ of the current folder", () => {
    const [b2, b5] = [bundleAt(2), bundleAt(5)];
    const req = put("state/r.json", REQUEST);
    const cwd = join(tmp, "state");
    const evalArgs = (b: string, ...extra: string[]): string[] => ["eval", "--bundle", b, "--entities", ENTITIES, "--request", req, ...extra];
    expect(bin(evalArgs(b5, "--state", "elsewhere/s.json"), "", {}, cwd).code).toBe(0);
    const b5Id = (JSON.parse(readFileSync(b5, "utf8")) as { bundleId: string }).bundleId;
    expect(JSON.parse(readFileSync(join(cwd, "elsewhere", "s.json"), "utf8"))).toEqual({ format: "writ-bundle-state/1", lastSequence: { unsigned: 5 }, lastBundleId: { unsigned: b5Id } });
    expect(existsSync(join(cwd, ".writ"))).toBe(false);
    const rollback = bin(evalArgs(b2, "--state", "elsewhere/s.json"), "", {}, cwd);
    expect(rollback.code).toBe(2);
    expect(rollback.stderr).toMatch(/error W6104: bundle sequence 2 is lower than the last loaded sequence 5/);
    expect(bin(evalArgs(b2, "--no-state"), "", {}, cwd).code).toBe(0);
    expect(existsSync(join(cwd, ".writ"))).toBe(false);
    expect(bin(evalArgs(b2), "", {}, cwd).code).toBe(0);
    expect(existsSync(join(cwd, ".writ", "bundle-state.json"))).toBe(true);
  });

  it("--state and --no-state apply only with --bundle", async () => {
    const r = await writ(["eval", "--policies", POLICIES, "--entities", ENTITIES, "--request", put("r3.json", REQUEST), "--no-state"]);
    expect([r.code, r.stderr]).toEqual([2, "writ: error W5008: --no-state applies only with --bundle\n"]);
  });
});
