/**
 * Fuzz targets: each runs one mutated input through every public entry point that takes it
 * (`writ/lang`, `writ/compiler`, `writ/stdlib`, and `writ/runtime`'s `loadBundle`/`decide`)
 * and checks the library's contract: no entry point throws, no diagnostic or error message
 * betrays a leaked exception ("internal compiler error", an INVARIANT, a stack overflow, a
 * TypeError), and no single case takes longer than {@link CASE_LIMIT_MS} (a hang detector far
 * above any honest case, not a speed assertion).
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect } from "vitest";
import * as lang from "../../lang/index.js";
import * as compiler from "../../compiler/index.js";
import * as stdlib from "../../stdlib/index.js";
import { decide, loadBundle, recordBytes, type EntityJson, type LoadedBundle, type RequestJson } from "../../runtime/index.js";

/** Longest a single fuzz case may take: only a hang (or exponential work) comes near it. */
export const CASE_LIMIT_MS = 20_000;

/** Messages that mean an exception escaped into a diagnostic instead of a real answer. */
const LEAK = /internal (compiler )?error|INVARIANT|Maximum call stack|Cannot read propert|is not a function|is not iterable|TypeError|RangeError|CanonicalJsonError/;

/**
 * The words of a message that are Writ's own: the input a message quotes in backticks (a token,
 * a name: "found `internal`", "unknown type `TypeError`") can be anything the fuzzer wrote.
 */
function ownWords(m: string): string {
  return m.replace(/`[^`\n]*`/g, "``");
}

/** Fail when any message looks like a leaked exception. */
export function expectNoLeak(messages: Iterable<string>, where: string): void {
  for (const m of messages) if (LEAK.test(ownWords(m))) expect.fail(`${where}: leaked exception in a message: ${m.slice(0, 300)}`);
}

function messagesOf(ds: readonly { readonly message: string }[] | undefined): string[] {
  return (ds ?? []).map((d) => d.message);
}

/** Run `fn`, failing on a throw and on a case slower than the limit. */
export function guarded<T>(where: string, fn: () => T): T {
  const t0 = performance.now();
  let out: T;
  try {
    out = fn();
  } catch (e) {
    return expect.fail(`${where} threw: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`.slice(0, 500));
  }
  const ms = performance.now() - t0;
  if (ms > CASE_LIMIT_MS) expect.fail(`${where} took ${Math.round(ms)} ms (limit ${CASE_LIMIT_MS} ms)`);
  return out;
}

// ---------------------------------------------------------------------------
// Seeds: the project's examples (always present), plus the Cedar corpus when it is there.
// ---------------------------------------------------------------------------

const ROOT = process.cwd();
const EXAMPLES = ["doc-sharing", "agent-tools", "agent-governance", "embedding", "governed-agent"].map((d) => join(ROOT, "examples", d));

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

const present = <T>(xs: readonly (T | undefined)[]): T[] => xs.filter((x): x is T => x !== undefined);

/** Policy texts to mutate. */
export const POLICY_SEEDS: readonly string[] = present([
  ...EXAMPLES.map((d) => read(join(d, "policies.cedar"))),
  read(resolve(ROOT, "../shared/conformance/cedar/tests/ip/policies_1.cedar")),
  read(resolve(ROOT, "../shared/conformance/cedar/tests/multi/policies_1.cedar")),
  '@id("a") @reason("r") permit(principal in Group::"g", action in [Action::"a", Action::"b"], resource is Doc in Folder::"f") when { context.s like "a*b\\*" && [1, {k: "v"}].contains(1) && principal has a.b.c } unless { resource.n + 1 > 2 };',
  'forbid(principal, action, resource) when { ip("10.0.0.0/8").isInRange(context.ip) || decimal("1.5").greaterThanOrEqual(context.d) || datetime("2024-01-01").offset(duration("1h")) < context.t };',
  'permit(principal, action, resource) when { lineage.depth < 3 && lineage.ancestors.any(a, a.decision == "allow") } obligations { approve: true, budget: 10 };',
  "permit(principal == ?principal, action, resource in ?resource) when { principal.getTag(\"t\") == resource.hasTag(\"x\") };",
]);

/** Schema texts to mutate. */
export const SCHEMA_SEEDS: readonly string[] = present([
  ...EXAMPLES.map((d) => read(join(d, "schema.cedarschema"))),
  read(resolve(ROOT, "../shared/conformance/cedar/sample-data/sandbox_b/schema.cedarschema")),
  'namespace N { type T = { a: Set<Long>, b?: __cedar::String }; entity E in [E] = { t: T } tags Set<String>; entity K enum ["x", "y"]; action "a" in ["b"] appliesTo { principal: [E], resource: E, context: T }; action "b"; } obligation approve: Bool;',
]);

function json(path: string): unknown {
  const t = read(path);
  if (t === undefined) return undefined;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return undefined;
  }
}

/** Entities JSON values to mutate. */
export const ENTITY_SEEDS: readonly unknown[] = present([
  ...EXAMPLES.map((d) => json(join(d, "entities.json"))),
  [{ uid: { type: "User", id: "a" }, attrs: { n: 1, s: [1, 2], r: { x: { __extn: { fn: "ip", arg: "1.2.3.4" } } } }, parents: [{ type: "Group", id: "g" }], tags: { t: "v" } }, { uid: { type: "Group", id: "g" }, attrs: {}, parents: [] }],
]);

/** Request JSON values to mutate (with and without a lineage). */
export const REQUEST_SEEDS: readonly unknown[] = present([
  ...EXAMPLES.map((d) => json(join(d, "request.json"))),
  { principal: { type: "User", id: "alice" }, action: { type: "Action", id: "view" }, resource: { type: "Doc", id: "d1" }, context: { n: 1, ip: "10.0.0.1" } },
  { principal: { type: "User", id: "a" }, action: { type: "Action", id: "view" }, resource: { type: "Doc", id: "d" }, context: {}, lineage: { depth: 1, ancestors: [{ node: "n", principal: { type: "User", id: "a" }, action: { type: "Action", id: "view" }, resource: { type: "Doc", id: "d" }, decision: "allow", bundleId: "sha256:00" }] } },
]);

/** The doc-sharing example: its schema and a loaded bundle (the decide target's fixture). */
export function docSharing(): { schema: compiler.Schema; bundleJson: unknown; loaded: LoadedBundle } {
  const dir = EXAMPLES[0]!;
  const schema = compiler.loadSchema(lang.parseSchema(read(join(dir, "schema.cedarschema"))!).ast!).schema!;
  const built = compiler.buildBundle({ policiesAst: lang.parsePolicies(read(join(dir, "policies.cedar"))!).ast!, schema });
  const bundleJson = JSON.parse(JSON.stringify(built.bundle)) as unknown;
  const loaded = loadBundle(bundleJson).bundle!;
  return { schema, bundleJson, loaded };
}

// ---------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------

/** Policy text through parse, format, lower, compile (both semantics), validate and bundle. */
export function policyTarget(text: string, schema: compiler.Schema): void {
  const parsed = guarded("parsePolicies", () => lang.parsePolicies(text));
  expectNoLeak(messagesOf(parsed.diagnostics), "parsePolicies");
  guarded("lexSource", () => lang.lexSource(text));
  for (const d of parsed.diagnostics.slice(0, 20)) guarded("formatDiagnostic", () => lang.formatDiagnostic(d, text));
  const ast = parsed.ast;
  if (ast === undefined) return;
  guarded("formatPolicies", () => lang.formatPolicies(ast, text));
  const lowered = guarded("lowerPolicies", () => compiler.lowerPolicies(ast));
  expectNoLeak(messagesOf(lowered.diagnostics), "lowerPolicies");
  for (const semantics of ["fail-closed", "cedar"] as const) {
    const c = guarded(`compile ${semantics}`, () => compiler.compile(ast, { semantics }));
    expectNoLeak(messagesOf(c.diagnostics), `compile ${semantics}`);
  }
  const v = guarded("validatePolicies", () => compiler.validatePolicies(ast, schema, { collectTypes: true }));
  expectNoLeak(messagesOf(v.diagnostics), "validatePolicies");
  const b = guarded("buildBundle", () => compiler.buildBundle({ policiesAst: ast, schema, validate: false }));
  expectNoLeak(messagesOf(b.diagnostics), "buildBundle");
  if (b.bundle !== undefined) {
    const back = guarded("loadBundle(built)", () => loadBundle(JSON.parse(JSON.stringify(b.bundle)) as unknown));
    expectNoLeak(messagesOf(back.diagnostics), "loadBundle(built)");
    // A bundle the compiler built loads back, unless its schema model has no JSON form (W1020 is caught before).
    expect(back.diagnostics).toEqual([]);
  }
}

/** Schema text through parse, format, load, validation of `policies`, and a bundle. */
export function schemaTarget(text: string, policies: lang.PolicySet): void {
  const parsed = guarded("parseSchema", () => lang.parseSchema(text));
  expectNoLeak(messagesOf(parsed.diagnostics), "parseSchema");
  const ast = parsed.ast;
  if (ast === undefined) return;
  guarded("formatSchema", () => lang.formatSchema(ast, text));
  const loaded = guarded("loadSchema", () => compiler.loadSchema(ast));
  expectNoLeak(messagesOf(loaded.diagnostics), "loadSchema");
  const schema = loaded.schema;
  if (schema === undefined) return;
  guarded("requestEnvs", () => compiler.requestEnvs(schema));
  const v = guarded("validatePolicies", () => compiler.validatePolicies(policies, schema));
  expectNoLeak(messagesOf(v.diagnostics), "validatePolicies");
  const b = guarded("buildBundle", () => compiler.buildBundle({ policiesAst: policies, schema, validate: false }));
  expectNoLeak(messagesOf(b.diagnostics), "buildBundle");
  if (b.bundle !== undefined) {
    const back = guarded("loadBundle(built)", () => loadBundle(JSON.parse(JSON.stringify(b.bundle)) as unknown));
    expect(back.diagnostics).toEqual([]);
  }
}

/** A JSON schema value through the JSON reader and the loader. */
export function jsonSchemaTarget(value: unknown): void {
  const r = guarded("schemaFromJson", () => compiler.schemaFromJson(value));
  expectNoLeak(messagesOf(r.diagnostics), "schemaFromJson");
  if (r.ast === undefined) return;
  const ast = r.ast;
  const loaded = guarded("loadSchema(json)", () => compiler.loadSchema(ast));
  expectNoLeak(messagesOf(loaded.diagnostics), "loadSchema(json)");
}

/** An entities value (and its JSON text) through the stdlib readers and the schema checks. */
export function entitiesTarget(value: unknown, text: string, schema: compiler.Schema): void {
  const parsed = guarded("parseJsonText", () => stdlib.parseJsonText(text));
  if (!parsed.ok) expectNoLeak([parsed.error], "parseJsonText");
  for (const v of parsed.ok ? [value, parsed.value] : [value]) {
    const plain = guarded("entitiesFromJson", () => stdlib.entitiesFromJson(v as stdlib.JsonValue));
    expectNoLeak(messagesOf(plain.diagnostics), "entitiesFromJson");
    const hinted = guarded("entitiesFromJson(schema)", () => stdlib.entitiesFromJson(v as stdlib.JsonValue, compiler.entityHintFor(schema)));
    expectNoLeak(messagesOf(hinted.diagnostics), "entitiesFromJson(schema)");
    if (hinted.entities !== undefined) {
      const es = hinted.entities;
      expectNoLeak(messagesOf(guarded("validateEntities", () => compiler.validateEntities(schema, es))), "validateEntities");
    }
    const vr = guarded("valueFromJson", () => stdlib.valueFromJson(v as stdlib.JsonValue));
    if (!vr.ok) expectNoLeak([vr.error], "valueFromJson");
  }
}

/** A request value through the request readers, the schema check and `decide` on a loaded bundle. */
export function requestTarget(request: unknown, entities: unknown, loaded: LoadedBundle, schema: compiler.Schema): void {
  const r = guarded("requestFromJson", () => compiler.requestFromJson(request, (k) => compiler.contextHintFor(schema, k)));
  expectNoLeak(messagesOf(r.diagnostics), "requestFromJson");
  if (r.request !== undefined) {
    const req = r.request;
    expectNoLeak(messagesOf(guarded("validateRequest", () => compiler.validateRequest(schema, req))), "validateRequest");
  }
  // NOTE: any JSON, typed as the API takes it: what does not fit is a deny record, never a throw.
  const record = guarded("decide", () => decide(loaded, request as RequestJson, entities as readonly EntityJson[]));
  expectNoLeak(record.errors.map((e) => e.message), "decide");
  guarded("recordBytes", () => recordBytes(record));
  if (typeof request === "object" && request !== null && "lineage" in request) {
    const l = guarded("lineageFromJson", () => compiler.lineageFromJson((request as { lineage: unknown }).lineage));
    if (typeof l === "string") expectNoLeak([l], "lineageFromJson");
  }
}

/** A (mutated) bundle value through `loadBundle`, and `decide` when it loads. */
export function bundleTarget(bundle: unknown, request: unknown, entities: unknown): void {
  const r = guarded("loadBundle", () => loadBundle(bundle));
  expectNoLeak(messagesOf(r.diagnostics), "loadBundle");
  const b = r.bundle;
  if (b === undefined) return;
  const record = guarded("decide(mutated bundle)", () => decide(b, request as RequestJson, entities as readonly EntityJson[]));
  expectNoLeak(record.errors.map((e) => e.message), "decide(mutated bundle)");
}

/** Strings through the stdlib's extension parsers, `like` and the lang string helpers. */
export function stringTarget(s: string): void {
  for (const parse of [stdlib.parseDecimal, stdlib.parseIpAddr, stdlib.parseDatetime, stdlib.parseDuration] as ((t: string) => unknown)[]) guarded("parse extension", () => parse(s));
  const pattern = guarded("decodePattern", () => lang.decodePattern(`"${s}"`));
  guarded("compileLike", () => stdlib.compileLike(pattern.pattern)(s));
  guarded("likeMatch", () => stdlib.likeMatch(s, pattern.pattern));
  guarded("decodeString", () => lang.decodeString(`"${s}"`));
  guarded("encodeString", () => lang.encodeString(s));
  guarded("didYouMean", () => lang.didYouMean(s, ["principal", "resource", s.slice(1)]));
  guarded("isWellFormedText", () => lang.isWellFormedText(s));
}
