/**
 * The governed-agent part of `writ demo`: runs `examples/governed-agent/scenario.json`
 * through a {@link Governor} in the current directory.
 *
 * A human approves a plan; agents execute its steps as child executions (each
 * step runs inside its parent's action, with the parent's `authorized` event
 * as its lineage parent). One step is denied by a lineage-aware policy
 * (delegation too deep), one because an obligation has no registered handler,
 * one for lacking a human-approved ancestor. Everything is recorded in
 * `.writ/lineage.db` (running the demo again appends), the log is verified,
 * and the execution tree is printed.
 *
 * The last line is `N passed, M failed` over the scenario's expected verdicts.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { buildBundle } from "../compiler/bundle.js";
import { loadSchema } from "../compiler/index.js";
import { parsePolicies, parseSchema } from "../lang/index.js";
import { DEFAULT_LINEAGE_DB, Governor, loadBundle, loadEntities, openLocalLog, type EntityJson, type RequestJson } from "../runtime/index.js";
import { readVerified } from "../runtime/lineage/verified-view.js";
import { examplesDir, summaryOf } from "./demo.js";
import { EXIT_PROBLEMS, fail, type Output } from "./io.js";
import { executionTree, renderTree } from "./lineage-tree.js";

/** One step of the scenario file. */
interface Step {
  readonly step: string;
  readonly actor: string;
  readonly principal: unknown;
  readonly action: unknown;
  readonly resource: unknown;
  readonly context: unknown;
  readonly expect: "allow" | "deny";
  readonly why?: string;
  readonly steps?: readonly Step[];
}

interface Scenario {
  readonly description: string;
  readonly node: string;
  readonly handlers: readonly string[];
  readonly steps: readonly Step[];
}

const PROJECT = "governed-agent";

function readProject(dir: string): { scenario: Scenario; policies: string; schema: string; entities: unknown } {
  const read = (f: string): string => {
    try {
      return readFileSync(join(dir, f), "utf8");
    } catch (e) {
      fail("W5001", `cannot read file: ${e instanceof Error ? e.message : String(e)}`, { file: join(dir, f) });
    }
  };
  try {
    return {
      scenario: JSON.parse(read("scenario.json")) as Scenario,
      policies: read("policies.cedar"),
      schema: read("schema.cedarschema"),
      entities: JSON.parse(read("entities.json")) as unknown,
    };
  } catch (e) {
    if (e instanceof SyntaxError) fail("W5002", `malformed JSON: ${e.message}`, { file: dir });
    throw e;
  }
}

/** How to open the governance console on the log the demo wrote in `cwd` (the example files named from `cwd`). */
export function consoleHint(projectDir: string, cwd: string, node: string): string {
  const rel = relative(cwd, projectDir);
  const at = rel.startsWith("..") || isAbsolute(rel) ? projectDir : rel;
  const file = (f: string): string => JSON.stringify(join(at, f)).slice(1, -1).replace(/ /g, "\\ ");
  return (
    "open the governance console on this log (explorer, proofs, health, bundles):\n" +
    `     npx writ serve --policies ${file("policies.cedar")} --schema ${file("schema.cedarschema")} --entities ${file("entities.json")} --node ${node}\n` +
    "     then open http://127.0.0.1:8181/console/ (docs/console.md)\n"
  );
}

/** Run the governed-agent scenario in `cwd`. Exit 0 when every step came out as expected. */
export async function runGovernedDemo(io: Output, cwd: string, examples: string | undefined = examplesDir()): Promise<number> {
  if (examples === undefined) fail("W5001", "cannot find the examples/ folder of the writ package", { file: "examples" });
  const dir = join(examples, PROJECT);
  const project = readProject(dir);
  const schemaAst = parseSchema(project.schema, "schema.cedarschema").ast;
  const schema = schemaAst === undefined ? undefined : loadSchema(schemaAst).schema;
  const policies = parsePolicies(project.policies, "policies.cedar").ast;
  if (schema === undefined || policies === undefined) fail("W5001", "the governed-agent example does not parse", { file: dir });
  const built = buildBundle({ policiesAst: policies, schema });
  const loaded = built.bundle === undefined ? undefined : loadBundle(JSON.parse(JSON.stringify(built.bundle))).bundle;
  if (loaded === undefined) fail("W5001", `the governed-agent example does not compile: ${built.diagnostics.map((d) => d.message).join("; ")}`, { file: dir });

  const opened = await openLocalLog({ dir: cwd });
  if (!opened.ok) fail("W5001", `cannot open the lineage log: ${opened.problem.message}`, { file: join(cwd, DEFAULT_LINEAGE_DB) });
  const log = opened.log;
  const before = log.size;

  io.out(`\n== ${PROJECT}: governed execution with lineage ==\n`);
  const about = summaryOf(dir);
  io.out(`${about ?? project.scenario.description}\n`);
  io.out(`bundle ${loaded.bundleId}; obligation handlers: ${project.scenario.handlers.join(", ") || "(none)"}\n\n`);

  const handlers: Record<string, (v: unknown) => boolean> = {};
  const notes: string[] = [];
  for (const name of project.scenario.handlers) {
    handlers[name] = (v) => {
      notes.push(`${name} ${JSON.stringify(v)}`);
      return true;
    };
  }
  const store = loadEntities(loaded, project.entities as readonly EntityJson[]);
  if (store.store === undefined) fail("W5003", `the governed-agent entities do not load: ${store.diagnostics.map((d) => d.message).join("; ")}`, { file: join(dir, "entities.json") });
  const governor = new Governor({ log, bundle: loaded, node: project.scenario.node, handlers, entities: store.store });
  let passed = 0;
  let failed = 0;
  const roots: string[] = [];

  const runStep = async (s: Step, parent: string | undefined, depth: number): Promise<void> => {
    const pad = "  ".repeat(depth + 1);
    const request = { principal: s.principal, action: s.action, resource: s.resource, context: s.context } as RequestJson;
    notes.length = 0;
    const header = (verdict: string, extra: string): void => {
      const ok = (verdict === "ALLOW") === (s.expect === "allow");
      if (ok) passed++;
      else failed++;
      io.out(`${pad}${verdict.padEnd(6)} ${s.step} (${s.actor})${ok ? "" : `   <-- NOT AS EXPECTED (${s.expect})`}\n`);
      if (extra !== "") io.out(`${pad}       ${extra}\n`);
    };
    const r = await governor.execute(
      request,
      async (ctx) => {
        const handled = notes.splice(0);
        const by = ctx.decision.reasons.map((x) => x.name).join(", ");
        header("ALLOW", `permitted by ${by}${handled.length === 0 ? "" : `; obligations fulfilled: ${handled.join(", ")}`}`);
        for (const c of s.steps ?? []) await runStep(c, ctx.authorizedEvent, depth + 1);
        return { step: s.step };
      },
      parent === undefined ? { actor: s.actor } : { actor: s.actor, parent },
    );
    if (depth === 0 && r.events[0] !== undefined) roots.push(r.events[0].id);
    if (!r.allowed) header("DENY", r.problem?.message ?? "");
    else if (!r.ok) io.out(`${pad}       problem: ${r.problem?.message ?? "unknown"}\n`);
  };

  try {
    for (const s of project.scenario.steps) await runStep(s, undefined, 0);
    const added = log.size - before;
    io.out(`\nrecorded ${added} events in ${DEFAULT_LINEAGE_DB} (the log now holds ${log.size}); verifying the whole log…\n`);
    const read = await readVerified(log);
    const report = read.report;
    if (report.ok) io.out(`lineage log ok: ${report.size} events, ${report.checkpoints} checkpoints verified\n`);
    else {
      failed++;
      const bad = report.firstBad === undefined ? (report.error ?? "") : `first bad entry ${report.firstBad.index}: ${report.firstBad.reason}`;
      io.out(`LINEAGE VERIFICATION FAILED: ${bad}\n`);
    }
    const view = read.ok ? read.view : undefined;
    for (const root of view === undefined ? [] : roots) {
      const tree = executionTree(view!, root);
      if (tree !== undefined) io.out(`\nexecution tree from ${root}:\n${renderTree(tree)}`);
    }
    if (roots[0] !== undefined) {
      io.out(`\ntry: npx writ lineage show ${roots[0]} --dot | dot -Tsvg > lineage.svg\n`);
      io.out(`     npx writ lineage verify; npx writ lineage replay; npx writ lineage export --format in-toto -o lineage.intoto.jsonl\n`);
      io.out(`\n${consoleHint(dir, cwd, project.scenario.node)}`);
    }
  } finally {
    await log.close().catch(() => undefined);
  }
  io.out(`\n${passed} passed, ${failed} failed\n`);
  return failed > 0 ? EXIT_PROBLEMS : 0;
}
