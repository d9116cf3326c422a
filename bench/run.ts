/**
 * `npm run bench`: decisions/s of Writ's compiled decision function against
 * cedar-wasm (`statefulIsAuthorized` on a preparsed policy set) and against a
 * handwritten JS function encoding the same rules, on the same requests in
 * one process; then compile time for 10,000 generated policies.
 *
 * Ends with the lines `RATIO decide-vs-cedar-wasm <x>` (Writ decisions/s,
 * request JSON conversion included, ÷ cedar-wasm decisions/s; target ≥ 20),
 * `RATIO decide-vs-handwritten <x>` (time of Writ's compiled decision function ÷
 * handwritten time; target ≤ 3) and `RATIO decide-with-json-vs-handwritten <x>`
 * (the same with the request conversion counted), each the geometric mean over
 * scenarios. Every headline ratio also has a row through the public path: `writ/runtime`
 * as docs/embedding.md shows it (`RATIO runtime-decide-vs-cedar-wasm` per scenario and
 * `-geomean`, `runtime-vs-program`, `runtime-decide-vs-handwritten` — the public form of both
 * handwritten ratios, since the public `decide` reads the request JSON) and the `writ compile`
 * command as docs/ci.md shows it (`RATIO writ-compile-10k-ms`).
 *
 * Two floors say how low the public ratios can go while every record carries its
 * `requestDigest` (a SHA-256 over the request and the store id, computed in the call):
 * `RATIO runtime-vs-program-digest-floor` and `runtime-decide-vs-handwritten-digest-floor` add
 * to `program.decide` only what the digest's hash costs inside the public `decide` — the public
 * `decide` less the same `decide` bound (through `runtimeApi`) to a `sha256Id` that returns a
 * constant, measured in the same rounds — as if checking the request, writing the digest text
 * and building the record were free. `RATIO runtime-vs-program-without-digest-hash` is that
 * constant-hash `decide` ÷ `program.decide`: what the public path adds besides the hash.
 *
 * The rows the time ratios compare (Writ with and without the request conversion, the public
 * `decide`, the handwritten function) are measured in alternating rounds and each ratio is the
 * median of the per-round ratios (`measurePaired`): rows measured seconds apart on a shared
 * machine can differ by 2× from the machine alone.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { parsePolicies, parseSchema } from "../lang/index.js";
import { compile, loadSchema, validatePolicies, requestFromJson } from "../compiler/index.js";
import { entitiesFromJson } from "../stdlib/index.js";
import { agentTools } from "./scenarios/agent-tools.js";
import { docSharing } from "./scenarios/doc-sharing.js";
import { buildHandIndex, keyOf, type EntityJson, type RequestJson, type Scenario } from "./scenarios/rng.js";
import { corpusSchema, generateCorpus } from "./compile-corpus.js";
import { fmtInt, measure, measurePaired, timeMs } from "./harness.js";
import { benchLineage } from "./lineage.js";
import { benchServices, loadScenario } from "./services.js";
import { decide, runtimeCrypto } from "../runtime/index.js";
import { runtimeApi } from "../runtime/entry.js";

interface Row {
  readonly scenario: string;
  /** Public `decide(bundle, request, store)` of `writ/runtime` (record and digest included). */
  readonly runtime: number;
  readonly writ: number;
  /** Writ deciding requests already converted to values (request conversion excluded). */
  readonly writDecideOnly: number;
  readonly cedarWasm: number;
  readonly hand: number;
  /** Time ratios from rounds measured side by side (medians of the per-round ratios). */
  readonly runtimeVsProgram: number;
  readonly runtimeVsHand: number;
  /** `program.decide` with the conversion plus the digest hash's share of the public `decide` (public less constant-hash), ÷ `program.decide` with the conversion. */
  readonly digestFloorVsProgram: number;
  /** The same sum ÷ the handwritten function. */
  readonly digestFloorVsHand: number;
  /** The public `decide` with a constant `sha256Id` ÷ `program.decide` with the conversion. */
  readonly withoutHashVsProgram: number;
  readonly writVsHand: number;
  readonly decideOnlyVsHand: number;
}

function fail(msg: string): never {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(1);
}

/** The entities a request needs: principal, resource, action and their ancestors (cedar-wasm's best case). */
function slice(req: RequestJson, byKey: Map<string, EntityJson>): EntityJson[] {
  const out = new Map<string, EntityJson>();
  const add = (k: string) => {
    if (out.has(k)) return;
    const e = byKey.get(k);
    if (!e) return;
    out.set(k, e);
    for (const p of e.parents) add(keyOf(p));
  };
  add(keyOf(req.principal));
  add(keyOf(req.resource));
  add(keyOf(req.action));
  return [...out.values()];
}

function runScenario(s: Scenario): Row {
  const parsed = parsePolicies(s.policies, "bench.cedar");
  if (!parsed.ast) fail(`${s.name}: policies do not parse: ${parsed.diagnostics.map((d) => d.message).join("; ")}`);
  const schemaAst = parseSchema(s.schema, "bench.cedarschema").ast;
  const schema = schemaAst ? loadSchema(schemaAst).schema : undefined;
  if (!schema) fail(`${s.name}: schema does not load`);
  const v = validatePolicies(parsed.ast, schema);
  const errs = v.diagnostics.filter((d) => d.severity === "error");
  if (errs.length) fail(`${s.name}: policies do not validate: ${errs.map((d) => `${d.code} ${d.message}`).join("; ")}`);
  const compiled = compile(parsed.ast, { semantics: "cedar" });
  const program = compiled.program ?? fail(`${s.name}: compile failed`);
  const ents = entitiesFromJson(s.entities as never);
  const entities = ents.entities ?? fail(`${s.name}: entities: ${ents.diagnostics.map((d) => d.message).join("; ")}`);

  const pset = `bench-${s.name}`;
  const pre = cedar.preparsePolicySet(pset, { staticPolicies: s.policies });
  if (pre.type !== "success") fail(`${s.name}: cedar-wasm could not parse the policies`);
  const byKey = new Map(s.entities.map((e) => [keyOf(e.uid), e]));
  const calls = s.requests.map((r) => ({ ...r, context: r.context as never, preparsedPolicySetId: pset, entities: slice(r, byKey) as never }));
  const index = buildHandIndex(s.entities);

  // cedar-wasm names text policies policy0, policy1, … in file order; map them to Writ's names (@id).
  const cedarName = (id: string): string => program.policyNames[Number(id.slice("policy".length))] ?? id;
  // Agreement check before timing: all three must decide every request the same way.
  let mismatches = 0;
  for (let i = 0; i < s.requests.length; i++) {
    const req = s.requests[i]!;
    const w = program.decide(requestFromJson(req as unknown).request!, entities);
    const c = cedar.statefulIsAuthorized(calls[i]!);
    const cd = c.type === "success" ? `${c.response.decision} ${c.response.diagnostics.reason.map(cedarName).sort().join(",")}` : "error";
    const h = s.handwritten(req, index);
    const wd = `${w.decision} ${[...w.reasons].sort().join(",")}`;
    const hd = `${h.decision} ${[...h.reasons].sort().join(",")}`;
    if (wd !== cd || wd !== hd) {
      if (mismatches === 0) process.stderr.write(`first mismatch (request ${i}): writ=${wd} cedar-wasm=${cd} handwritten=${hd}\n`);
      mismatches++;
    }
  }
  if (mismatches > 0) fail(`${s.name}: ${mismatches} of ${s.requests.length} requests got different decisions or reasons from Writ, cedar-wasm and the handwritten function`);

  const reqs = s.requests;
  const n = reqs.length;
  const converted = reqs.map((r) => requestFromJson(r as unknown).request!);
  const cedarRate = measure(() => {
    for (let i = 0; i < 200; i++) cedar.statefulIsAuthorized(calls[i]!);
  }, 200, 3, 400);
  const loaded = loadScenario(s);
  for (let i = 0; i < n; i++) {
    const pub = decide(loaded.bundle, reqs[i], loaded.store);
    const w = program.decide(requestFromJson(reqs[i] as unknown).request!, entities);
    // NOTE: a bundle orders its policies (and so a record's reasons) by policy id; the program keeps source order.
    if (pub.decision !== w.decision || pub.reasons.map((r) => r.name).sort().join(",") !== [...w.reasons].sort().join(",")) fail(`${s.name}: request ${i}: the public decide and the compiled program disagree`);
  }
  // The same public decide with the digest's SHA-256 replaced by a constant, everything else unchanged (the digest
  // text is still written, but never flattened or hashed): the difference is what the hash costs in place.
  const noHash = runtimeApi({ ...runtimeCrypto, sha256Id: () => `sha256:${"0".repeat(64)}` });
  for (let i = 0; i < n; i++) {
    const a = decide(loaded.bundle, reqs[i], loaded.store);
    const b = noHash.decide(loaded.bundle, reqs[i], loaded.store);
    if (a.decision !== b.decision || JSON.stringify(a.reasons) !== JSON.stringify(b.reasons) || JSON.stringify(a.errors) !== JSON.stringify(b.errors)) fail(`${s.name}: request ${i}: the constant-hash decide disagrees with the public one`);
  }
  // The rows whose ratios are reported, measured in alternating rounds (see measurePaired).
  const paired = measurePaired(
    {
      writ: () => {
        for (let i = 0; i < n; i++) program.decide(requestFromJson(reqs[i] as unknown).request!, entities);
      },
      decideOnly: () => {
        for (let i = 0; i < n; i++) program.decide(converted[i]!, entities);
      },
      runtime: () => {
        for (let i = 0; i < n; i++) decide(loaded.bundle, reqs[i], loaded.store);
      },
      hand: () => {
        for (let i = 0; i < n; i++) s.handwritten(reqs[i]!, index);
      },
      runtimeNoHash: () => {
        for (let i = 0; i < n; i++) noHash.decide(loaded.bundle, reqs[i], loaded.store);
      },
    },
    n,
  );
  const rate = paired.opsPerSec;
  // `program.decide` with the conversion, plus what the public decide takes beyond its constant-hash twin.
  const hashShare = [["writ", 1], ["runtime", 1], ["runtimeNoHash", -1]] as const;
  return {
    scenario: s.name,
    runtime: rate.runtime,
    writ: rate.writ,
    writDecideOnly: rate.decideOnly,
    cedarWasm: cedarRate.opsPerSec,
    hand: rate.hand,
    runtimeVsProgram: paired.ratio("runtime", "writ"),
    runtimeVsHand: paired.ratio("runtime", "hand"),
    digestFloorVsProgram: paired.termsRatio(hashShare, "writ"),
    digestFloorVsHand: paired.termsRatio(hashShare, "hand"),
    withoutHashVsProgram: paired.ratio("runtimeNoHash", "writ"),
    writVsHand: paired.ratio("writ", "hand"),
    decideOnlyVsHand: paired.ratio("decideOnly", "hand"),
  };
}

function compileBench(): { policies: number; ms: number } {
  const n = 10_000;
  const text = generateCorpus(n);
  const schemaAst = parseSchema(corpusSchema, "corpus.cedarschema").ast;
  const schema = schemaAst ? loadSchema(schemaAst).schema : undefined;
  if (!schema) fail("compile corpus schema does not load");
  let count = 0;
  const ms = timeMs(() => {
    const parsed = parsePolicies(text, "corpus.cedar");
    if (!parsed.ast) fail("compile corpus does not parse");
    const v = validatePolicies(parsed.ast, schema);
    if (v.diagnostics.some((d) => d.severity === "error")) fail(`compile corpus does not validate: ${v.diagnostics[0]!.message}`);
    const c = compile(parsed.ast);
    if (!c.program) fail("compile corpus does not compile");
    count = parsed.ast.policies.length;
  }, 5);
  return { policies: count, ms };
}

/**
 * The same corpus compiled the way CI does it (docs/ci.md): `writ compile <policies> --schema
 * <schema> -o bundle.json` as a new process — parse, validate, compile, content ids, the bundle
 * written — median wall time of 3 runs, process start included.
 */
function writCompileBench(): number {
  const writ = resolve(dirname(fileURLToPath(import.meta.url)), "../../bin/writ.js");
  const dir = mkdtempSync(join(os.tmpdir(), "writ-bench-compile-"));
  try {
    writeFileSync(join(dir, "corpus.cedar"), generateCorpus(10_000));
    writeFileSync(join(dir, "corpus.cedarschema"), corpusSchema);
    const args = [writ, "compile", "corpus.cedar", "--schema", "corpus.cedarschema", "-o", "bundle.json"];
    return timeMs(() => {
      const r = spawnSync(process.execPath, args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
      if (r.status !== 0) fail(`writ compile of the corpus failed: ${r.stderr.toString().trim()}`);
    }, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  process.stdout.write(`Writ benchmarks — node ${process.version}, ${os.cpus()[0]?.model ?? "cpu"} × ${os.cpus().length}, cedar-wasm ${cedar.getCedarVersion()}\n\n`);
  const rows = [docSharing(), agentTools()].map(runScenario);
  const head = ["scenario", "writ decisions/s", "writ decide-only/s", "cedar-wasm decisions/s", "handwritten decisions/s", "writ ÷ cedar-wasm", "writ time ÷ handwritten", "decide-only time ÷ handwritten"];
  process.stdout.write(`| ${head.join(" | ")} |\n|${head.map(() => "---").join("|")}|\n`);
  for (const r of rows) {
    process.stdout.write(
      `| ${r.scenario} | ${fmtInt(r.writ)} | ${fmtInt(r.writDecideOnly)} | ${fmtInt(r.cedarWasm)} | ${fmtInt(r.hand)} | ${(r.writ / r.cedarWasm).toFixed(1)}× | ${r.writVsHand.toFixed(2)}× | ${r.decideOnlyVsHand.toFixed(2)}× |\n`,
    );
  }
  const pubHead = ["scenario", "writ/runtime decide on a store/s", "program.decide/s", "cedar-wasm/s", "runtime ÷ cedar-wasm", "runtime time ÷ program time"];
  process.stdout.write(`\nthrough the public API (decide(bundle, request, store): request read and validated, record and request digest made):\n`);
  process.stdout.write(`| ${pubHead.join(" | ")} |\n|${pubHead.map(() => "---").join("|")}|\n`);
  for (const r of rows) {
    process.stdout.write(`| ${r.scenario} | ${fmtInt(r.runtime)} | ${fmtInt(r.writ)} | ${fmtInt(r.cedarWasm)} | ${(r.runtime / r.cedarWasm).toFixed(1)}× | ${r.runtimeVsProgram.toFixed(2)}× |\n`);
  }
  const c = compileBench();
  process.stdout.write(`\ncompile (parse + validate + compile) ${fmtInt(c.policies)} policies: ${c.ms.toFixed(0)} ms (median of 5; target < 2000 ms)\n`);
  const cliCompileMs = writCompileBench();
  process.stdout.write(`writ compile of the same ${fmtInt(c.policies)} policies into a bundle file (a new process, as CI runs it): ${cliCompileMs.toFixed(0)} ms (median of 3)\n\n`);
  const geo = (xs: number[]) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
  process.stdout.write(`RATIO decide-vs-cedar-wasm ${geo(rows.map((r) => r.writ / r.cedarWasm)).toFixed(2)}\n`);
  process.stdout.write(`("writ" columns also convert each request from JSON inside the timed loop, as a service would; "decide-only" times the compiled decision function alone)\n`);
  process.stdout.write(`RATIO decide-vs-handwritten ${geo(rows.map((r) => r.decideOnlyVsHand)).toFixed(2)}\n`);
  process.stdout.write(`RATIO decide-with-json-vs-handwritten ${geo(rows.map((r) => r.writVsHand)).toFixed(2)}\n`);
  process.stdout.write(`RATIO compile-10k-ms ${c.ms.toFixed(0)}\n`);
  for (const r of rows) process.stdout.write(`RATIO runtime-decide-vs-cedar-wasm ${(r.runtime / r.cedarWasm).toFixed(2)}   (${r.scenario}; target ≥ 20)\n`);
  process.stdout.write(`RATIO runtime-decide-vs-cedar-wasm-geomean ${geo(rows.map((r) => r.runtime / r.cedarWasm)).toFixed(2)}   (decide-vs-cedar-wasm through writ/runtime)\n`);
  process.stdout.write(`RATIO writ-compile-10k-ms ${cliCompileMs.toFixed(0)}   (compile-10k-ms through \`writ compile\`, process start and bundle file included)\n`);
  process.stdout.write(`RATIO runtime-vs-program ${geo(rows.map((r) => r.runtimeVsProgram)).toFixed(2)}   (public decide time ÷ internal decide time, geometric mean; target ≤ 1.5)\n`);
  process.stdout.write(`RATIO runtime-decide-vs-handwritten ${geo(rows.map((r) => r.runtimeVsHand)).toFixed(2)}   (public decide time ÷ handwritten time, geometric mean: decide-vs-handwritten and decide-with-json-vs-handwritten through writ/runtime, which reads the request JSON itself)\n`);
  process.stdout.write(`RATIO runtime-vs-program-without-digest-hash ${geo(rows.map((r) => r.withoutHashVsProgram)).toFixed(2)}   (the public decide bound to a constant sha256Id, everything else unchanged, ÷ internal decide time: what checking the request, writing the digest text and building the record add; ${rows.map((r) => `${r.scenario.split(" ")[0]} ${r.withoutHashVsProgram.toFixed(2)}`).join(", ")})\n`);
  process.stdout.write(`RATIO runtime-vs-program-digest-floor ${geo(rows.map((r) => r.digestFloorVsProgram)).toFixed(2)}   (internal decide time plus what the digest's SHA-256 costs inside the public decide — public less constant-hash, same rounds — ÷ internal decide time: the least runtime-vs-program can be while every record carries a requestDigest hashed in the call; ${rows.map((r) => `${r.scenario.split(" ")[0]} ${r.digestFloorVsProgram.toFixed(2)}`).join(", ")})\n`);
  process.stdout.write(`RATIO runtime-decide-vs-handwritten-digest-floor ${geo(rows.map((r) => r.digestFloorVsHand)).toFixed(2)}   (the same sum ÷ handwritten time: the least runtime-decide-vs-handwritten can be)\n`);
  if (process.env.WRIT_BENCH_SKIP_SERVICES === undefined) {
    process.stdout.write(`\nservices (entity stores, governed executions; set WRIT_BENCH_SKIP_SERVICES=1 to skip)\n`);
    for (const line of await benchServices()) process.stdout.write(`${line}\n`);
  }
  if (process.env.WRIT_BENCH_SKIP_LINEAGE === undefined) {
    process.stdout.write(`\nlineage (building a 10^6-event log takes a few minutes; set WRIT_BENCH_SKIP_LINEAGE=1 to skip)\n`);
    for (const line of await benchLineage()) process.stdout.write(`${line}\n`);
  }
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
