/**
 * Bundle commands of the CLI:
 * - `writ compile <policies…> --schema <s> -o bundle.json [--sign <prefix>.key] [--sequence N]
 *   [--semantics …] [--json]`: validate, lower, hash and (optionally) sign one bundle file
 *   (`-o -`: to standard output); `--json` prints `{"bundleId": …, "policies": [{"name": …, "id": …}]}`.
 * - `writ keygen <prefix>`: an Ed25519 key pair `<prefix>.key` (mode 0600) and `<prefix>.pub`.
 * - `writ eval --bundle b.json [--key k.pub] --entities e.json --request r.json [--json]`:
 *   load the bundle (every id re-hashed, signature required with `--key`), refuse a sequence
 *   lower than the last one loaded for the same signer — remembered in a state file,
 *   `.writ/bundle-state.json` of the working directory unless `--state <file>` places it
 *   elsewhere or `--no-state` turns it off — and print the decision record.
 *
 * Every failure is one line (`file: error Wxxxx: message`) and a non-zero exit.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { buildBundle, signBundle, type Bundle } from "../compiler/bundle.js";
import { canonicalJson } from "../compiler/canonical.js";
import { hasErrors } from "../lang/diagnostics.js";
import type { PolicySet } from "../lang/ast.js";
import { nodeEd25519 } from "../runtime/crypto/ed25519-node.js";
import { decide, loadBundle, type DecisionRecord, type EntityJson, type RequestJson } from "../runtime/index.js";
import { keyIdOf } from "../compiler/ids.js";
import { writeKeyPair } from "../runtime/keys.js";
import { privateKeyFile, publicKeyFile } from "./key-files.js";
import { errorLines, mergePolicySets, policiesFrom, programFrom, schemaFrom, validationOf } from "./pipeline.js";
import { linkStage } from "./link.js";
import { CliFailure, EXIT_BAD_INPUT, expandPolicyPaths, fail, ioReason, type Output, problemLine, readTextFile, type Semantics, type Staged, STDIO_PATH, type TextFile, writeOutputFile } from "./io.js";
import { readJsonFile } from "./json-files.js";

/** Options of `writ compile`. */
export interface CompileCliOptions {
  readonly schema: string;
  /** A links file (template links) to check and put in the bundle. */
  readonly links?: string;
  readonly output?: string;
  readonly sign?: string;
  readonly sequence?: string;
  readonly semantics: Semantics;
  readonly json?: boolean;
}

function parseSequence(text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^(0|[1-9][0-9]*)$/.test(text) || !Number.isSafeInteger(Number(text))) {
    fail("W5008", `invalid --sequence \`${text}\`: expected a non-negative integer below 2^53`, { file: "writ" });
  }
  return Number(text);
}

/**
 * Parse, validate and compile policy files against a schema file into one (unsigned) bundle
 * (`writ compile`, `writ serve --policies`, `writ mcp --policies`). Every problem is thrown as a
 * {@link CliFailure} of one-line errors naming file and position.
 */
export function compileBundleFiles(files: readonly string[], schemaPath: string, semantics: Semantics, sequence: number, links?: string): Bundle {
  const schemaFile = readTextFile(schemaPath);
  const schemaStage = schemaFrom(schemaFile);
  if (schemaStage.value === undefined) throw new CliFailure(errorLines(schemaStage, schemaFile.name), EXIT_BAD_INPUT);
  const schema = schemaStage.value;
  // Parse and validate file by file (errors name their file); the merged set is lowered once, by
  // buildBundle. Only when something fails is each file lowered on its own, so that lowering
  // errors too name their file and position.
  const checked: { readonly file: TextFile; readonly parsed: Staged<PolicySet>; readonly validated?: Staged<boolean> }[] = [];
  for (const p of expandPolicyPaths(files)) {
    const file = readTextFile(p);
    const parsed = policiesFrom(file);
    checked.push(parsed.value === undefined ? { file, parsed } : { file, parsed, validated: validationOf(parsed.value, schema, file) });
  }
  const perFileLines = (): string[] =>
    checked.flatMap(({ file, parsed, validated }) => {
      if (parsed.value === undefined) return errorLines(parsed, file.name);
      if (validated?.value !== true) return errorLines(validated!, file.name);
      const lowered = programFrom(parsed.value, semantics, file);
      return hasErrors(lowered.diagnostics) ? errorLines(lowered, file.name) : [];
    });
  if (checked.some((c) => c.validated?.value !== true)) throw new CliFailure(perFileLines(), EXIT_BAD_INPUT);
  const sets = checked.map((c) => c.parsed.value!);
  const linked = linkStage(mergePolicySets(sets), links, schema);
  const built = linked.value === undefined ? undefined : buildBundle({ policiesAst: linked.value, schema, semantics, sequence, validate: false });
  if (built?.bundle === undefined) {
    const lines = perFileLines();
    if (lines.length > 0) throw new CliFailure(lines, EXIT_BAD_INPUT);
  }
  if (built === undefined) throw new CliFailure(errorLines(linked, links), EXIT_BAD_INPUT);
  if (built.bundle === undefined) {
    const where = checked.length === 1 ? checked[0]!.file.name : "writ";
    throw new CliFailure(built.diagnostics.filter((d) => d.severity === "error").map((d) => problemLine(d.code, d.message, { file: where })), EXIT_BAD_INPUT);
  }
  return built.bundle;
}

/** Run `writ compile`. */
export function runCompile(files: readonly string[], opts: CompileCliOptions, io: Output): number {
  if (opts.output === undefined && opts.json !== true) fail("W5008", "nothing to do: give -o <bundle.json> and/or --json", { file: "writ" });
  if (opts.output === STDIO_PATH && opts.json === true) fail("W5008", "-o - and --json both print to standard output: choose one", { file: "writ" });
  const sequence = parseSequence(opts.sequence);
  const privateKey = opts.sign === undefined ? undefined : privateKeyFile(opts.sign);
  let bundle: Bundle = compileBundleFiles(files, opts.schema, opts.semantics, sequence, opts.links);
  if (privateKey !== undefined) bundle = signBundle(bundle, privateKey, nodeEd25519);
  if (opts.output !== undefined) writeOutputFile(opts.output, `${JSON.stringify(bundle, null, 2)}\n`, io);
  if (opts.json === true) {
    const refs = (l: readonly { readonly name: string; readonly id: string }[] | undefined): { name: string; id: string }[] => (l ?? []).map((p) => ({ name: p.name, id: p.id }));
    const extra = bundle.templates === undefined ? {} : { templates: refs(bundle.templates), links: refs(bundle.links) };
    io.out(`${JSON.stringify({ bundleId: bundle.bundleId, policies: refs(bundle.policies), ...extra }, null, 2)}\n`);
  } else {
    const signed = bundle.signature === undefined ? "unsigned" : `signed by ${bundle.signature.keyId}`;
    const count = (n: number, w: string): string => `${n} ${w}${n === 1 ? "" : "s"}`;
    const extra = bundle.templates === undefined ? "" : `, ${count(bundle.templates.length, "template")}, ${count(bundle.links?.length ?? 0, "link")}`;
    const report = `wrote ${opts.output}: ${bundle.policies.length} policies${extra}, sequence ${bundle.sequence}, ${signed}\nbundle ${bundle.bundleId}\n`;
    if (opts.output === STDIO_PATH) io.err(report.replace(/^wrote -:/, "wrote the bundle to standard output:"));
    else io.out(report);
  }
  return 0;
}

/** Run `writ keygen <prefix>`. */
export function runKeygen(prefix: string, io: Output): number {
  const r = writeKeyPair(prefix);
  if (!r.ok) fail("W5008", r.problem.message, { file: `${prefix}.key` });
  io.out(`wrote ${r.value.privateKeyPath} (private key, mode 0600) and ${r.value.publicKeyPath} (public key ${keyIdOf(r.value.publicKey)})\n`);
  return 0;
}

/** Options of `writ eval --bundle`. */
export interface BundleEvalOptions {
  readonly bundle: string;
  readonly key?: string;
  readonly entities: string;
  readonly request: string;
  /** The state file; undefined: `BUNDLE_STATE_FILE`; false: none (`--no-state`). */
  readonly state?: string | false;
  readonly json?: boolean;
}

/** Where `writ eval --bundle` remembers the last sequence per signer by default (relative to the working directory). */
export const BUNDLE_STATE_FILE = join(".writ", "bundle-state.json");

interface BundleState {
  readonly format: "writ-bundle-state/1";
  readonly lastSequence: Record<string, number>;
  /** The id of the last bundle accepted per signer key (a different bundle at the same sequence is a rollback). */
  readonly lastBundleId?: Record<string, string>;
}

function readState(path: string): BundleState {
  let file: TextFile;
  try {
    file = readTextFile(path);
  } catch (err) {
    if (err instanceof CliFailure && !existsSync(path)) return { format: "writ-bundle-state/1", lastSequence: {} };
    throw err;
  }
  let j: unknown;
  try {
    j = JSON.parse(file.text);
  } catch {
    fail("W5002", "malformed JSON in the bundle state file (delete it to reset rollback protection)", { file: file.name });
  }
  const ls = (j as { lastSequence?: unknown } | null)?.lastSequence;
  const ok =
    (j as { format?: unknown } | null)?.format === "writ-bundle-state/1" &&
    typeof ls === "object" &&
    ls !== null &&
    !Array.isArray(ls) &&
    Object.values(ls).every((v) => Number.isSafeInteger(v) && (v as number) >= 0);
  if (!ok) fail("W5008", "invalid bundle state file (delete it to reset rollback protection)", { file: file.name });
  const lastSequence: Record<string, number> = {};
  for (const [k, v] of Object.entries(ls as Record<string, number>)) Object.defineProperty(lastSequence, k, { value: v, enumerable: true, writable: true, configurable: true });
  const ids = (j as { lastBundleId?: unknown }).lastBundleId;
  const lastBundleId: Record<string, string> = {};
  if (typeof ids === "object" && ids !== null && !Array.isArray(ids)) {
    for (const [k, v] of Object.entries(ids)) if (typeof v === "string") Object.defineProperty(lastBundleId, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return { format: "writ-bundle-state/1", lastSequence, lastBundleId };
}

function writeState(path: string, state: BundleState, io: Output): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (e) {
    fail("W5001", `cannot create the state folder: ${ioReason(e)}`, { file: dirname(path) });
  }
  writeOutputFile(path, `${JSON.stringify(state, null, 2)}\n`, io);
}

/** The text form of a decision record. */
export function recordText(r: DecisionRecord): string {
  const reasons = r.reasons.map((x) => (x.reason === undefined ? x.name : `${x.name} (${x.reason})`));
  const lines = [`decision: ${r.decision}`, `reasons: ${reasons.length === 0 ? "(none)" : reasons.join(", ")}`];
  if (r.errors.length === 0) lines.push("errors: (none)");
  else {
    lines.push("errors:");
    for (const e of r.errors) lines.push(`  ${e.policy}: ${e.code}: ${e.message}`);
  }
  if (Object.keys(r.obligations).length > 0) lines.push(`obligations: ${canonicalJson(r.obligations)}`);
  lines.push(`bundle: ${r.bundleId}`, `request: ${r.requestDigest}`);
  return `${lines.join("\n")}\n`;
}

/** Run `writ eval --bundle`. */
export function runBundleEval(opts: BundleEvalOptions, io: Output): number {
  const publicKey = opts.key === undefined ? undefined : publicKeyFile(opts.key);
  const b = readJsonFile(opts.bundle);
  const ent = readJsonFile(opts.entities);
  const req = readJsonFile(opts.request);
  const keyId = publicKey === undefined ? "unsigned" : keyIdOf(publicKey);
  const statePath = opts.state === false ? undefined : (opts.state ?? BUNDLE_STATE_FILE);
  if (statePath === STDIO_PATH) fail("W5008", "--state needs a file (it is read and written): `-` is not one", { file: "writ" });
  const state = statePath === undefined ? { format: "writ-bundle-state/1" as const, lastSequence: {} } : readState(statePath);
  const last = Object.prototype.hasOwnProperty.call(state.lastSequence, keyId) ? state.lastSequence[keyId] : undefined;
  const lastId = state.lastBundleId !== undefined && Object.prototype.hasOwnProperty.call(state.lastBundleId, keyId) ? state.lastBundleId[keyId] : undefined;
  const loaded = loadBundle(b.json, {
    ...(publicKey === undefined ? {} : { publicKey }),
    ...(last === undefined ? {} : { lastSequence: last }),
    ...(lastId === undefined ? {} : { lastBundleId: lastId }),
  });
  if (loaded.bundle === undefined) throw new CliFailure(loaded.diagnostics.map((d) => problemLine(d.code, d.message, { file: b.file.name })), EXIT_BAD_INPUT);
  // NOTE: the files hold any JSON; decide reads and checks it, and what does not fit is a deny record.
  const record = decide(loaded.bundle, req.json as unknown as RequestJson, ent.json as unknown as readonly EntityJson[]);
  const inputErrors = record.errors.filter((e) => e.policy === "");
  if (inputErrors.length > 0) {
    throw new CliFailure(
      inputErrors.map((e) => problemLine(e.code as "W5003", e.message, { file: e.code === "W5003" ? ent.file.name : req.file.name })),
      EXIT_BAD_INPUT,
    );
  }
  if (statePath !== undefined && (last === undefined || loaded.bundle.sequence > last || lastId === undefined)) {
    const define = (o: Record<string, unknown>, v: unknown): void => void Object.defineProperty(o, keyId, { value: v, enumerable: true, writable: true, configurable: true });
    define(state.lastSequence, loaded.bundle.sequence);
    const ids = { ...(state.lastBundleId ?? {}) };
    define(ids, loaded.bundle.bundleId);
    writeState(statePath, { ...state, lastBundleId: ids }, io);
  }
  io.out(opts.json === true ? `${canonicalJson(record)}\n` : recordText(record));
  return 0;
}
