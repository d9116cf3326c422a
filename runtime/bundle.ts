/**
 * Loading a bundle on the service side: strict shape check, re-hashing of every content id,
 * signature verification, rollback protection, then the decision function from the IR alone.
 *
 * Refusals (diagnostics, never exceptions):
 * - W6105 malformed: wrong shape, unknown fields, wrong format/language tags, bad names;
 * - W6102 a policy's IR does not hash to its id (the message names the policy);
 * - W6101 the schema or the bundle id does not match the recomputed one;
 * - W6103 a public key is configured and the signature is missing, malformed, made by
 *   another key or does not verify over the recomputed bundle id;
 * - W6104 rollback: `sequence` is lower than the last sequence accepted, or equal to it
 *   with another bundle id (the same bundle loaded again is fine);
 * - W6001 a `cedar`-semantics bundle uses a Writ-only construct.
 * Templates and links are checked and linked by `bundle-links.ts`.
 * No check is skipped because a field is absent: the ids are always recomputed, never
 * trusted, and an absent signature with a configured key is a refusal.
 *
 * Order: the bundle id covers the policies as a set (sorted ids), so the loader puts the
 * policies in bundle order (by id, then name) and each policy's annotations in name order,
 * whatever order the JSON lists them in: decision records (reasons are in policy order)
 * and the bundle text stored in a lineage log depend only on the bundle id.
 *
 * INVARIANT: imports nothing of the parser (see `compiler/compile-ir.ts`).
 */
import {
  bundleId as computeBundleId,
  BUNDLE_FORMAT,
  compareCodeUnits,
  isValidSequence,
  keyIdOf,
  LANGUAGE_VERSION,
  policyId,
  schemaId as computeSchemaId,
  sortPolicyRefs,
  toPlainJson,
} from "../compiler/ids.js";
import { canonicalJson } from "../compiler/canonical.js";
import type { Bundle } from "../compiler/bundle.js";
import type { CompiledPolicies, Semantics } from "../compiler/decide.js";
import { IR_VERSION, type IrPolicy } from "../compiler/ir.js";
import type { Schema } from "../compiler/schema-model.js";
import { compileIrOnly, diag, type Diagnostic, type DiagnosticCode } from "../compiler/compile-ir.js";
import { base64Decode } from "./crypto/base64.js";
import type { Ed25519 } from "./crypto/ed25519.js";
import { checkPolicyIr, fields, readSchemaModel, ShapeError, str } from "./bundle-shape.js";
import { isSlotPolicy, LINK_FIELDS, readTemplatesAndLinks, templateFields, type LoadedLink, type LoadedTemplate } from "./bundle-links.js";

/** One policy of a loaded bundle. */
export interface LoadedPolicy {
  readonly name: string;
  readonly id: string;
  readonly ir: IrPolicy;
  /** The `@reason("…")` text, if any. */
  readonly reason?: string;
}

/** A bundle that passed every check, ready to decide. */
export interface LoadedBundle {
  readonly bundleId: string;
  readonly semantics: Semantics;
  readonly sequence: number;
  readonly schemaId: string;
  readonly schema: Schema;
  /** Policies in bundle order (sorted by id, then name). */
  readonly policies: readonly LoadedPolicy[];
  readonly program: CompiledPolicies;
  /** The key id of the verified signer, when a public key was configured. */
  readonly keyId?: string;
  /** Lookup by policy name (template links included). */
  readonly byName: ReadonlyMap<string, LoadedPolicy>;
  /** Templates and their links, when the bundle has any (see `bundle-links.ts`). */
  readonly templates?: readonly LoadedTemplate[];
  readonly links?: readonly LoadedLink[];
}

/**
 * Why `x` cannot decide as a loaded bundle, or undefined when it can. The entries check the
 * bundle they are given with this, so the `bundle` of a failed `loadBundle` (undefined) or
 * bundle JSON passed without loading it is a deny naming the mistake (W7010), never a
 * TypeError. Never throws.
 */
export function notLoadedBundle(x: unknown): string | undefined {
  if (x === undefined) return "the bundle is undefined (the `bundle` of a failed loadBundle? its diagnostics say why)";
  if (typeof x !== "object" || x === null) return `the bundle is ${x === null ? "null" : `a ${typeof x}`}, not a loaded bundle`;
  try {
    const b = x as Partial<LoadedBundle>;
    if (typeof b.bundleId === "string" && typeof b.schemaId === "string" && typeof b.schema === "object" && b.schema !== null && typeof b.program?.decide === "function" && b.byName instanceof Map) return undefined;
  } catch {
    // A getter or proxy that throws: not a loaded bundle either.
  }
  return "the bundle is not a loaded bundle (bundle JSON must go through loadBundle first)";
}

/** Options of {@link loadBundle}. */
export interface LoadBundleOptions {
  /** Raw 32-byte Ed25519 public key: when given, a valid signature by this key is required. */
  readonly publicKey?: Uint8Array;
  /**
   * The sequence of the last bundle accepted from this signer: a lower sequence is refused,
   * and so is an equal one unless `lastBundleId` is given and matches (W6104).
   */
  readonly lastSequence?: number;
  /** The id of the last bundle accepted (with `lastSequence`): loading it again is fine. */
  readonly lastBundleId?: string;
}

/** The result of {@link loadBundle}: `bundle` is present only when there is no diagnostic. */
export interface LoadBundleResult {
  readonly bundle?: LoadedBundle;
  readonly diagnostics: Diagnostic[];
}

const NOWHERE = { start: 0, end: 0 };
const UTF8 = new TextEncoder();
const TOP_FIELDS = ["format", "language", "semantics", "sequence", "schemaId", "schema", "policies", "bundleId"] as const;

function refuse(code: DiagnosticCode, message: string): LoadBundleResult {
  return { diagnostics: [diag(code, message, NOWHERE)] };
}

/** The `@reason` annotation value of a policy, if any. */
export function reasonOf(ir: IrPolicy): string | undefined {
  const a = ir.annotations.find((x) => x.name === "reason");
  return a === undefined || a.value === null ? undefined : a.value;
}

/**
 * Load and check a bundle (already parsed from JSON) with the given Ed25519 implementation.
 * Never throws.
 */
export function loadBundleWith(ed25519: Ed25519, json: unknown, options: LoadBundleOptions = {}): LoadBundleResult {
  try {
    return load(ed25519, json, options);
  } catch (e) {
    if (e instanceof ShapeError) return refuse("W6105", `malformed bundle at ${e.message}`);
    return refuse("W6105", `malformed bundle: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function load(ed25519: Ed25519, json: unknown, options: LoadBundleOptions): LoadBundleResult {
  const top = fields(json, "", TOP_FIELDS, ["signature", ...LINK_FIELDS]);
  if (top["format"] !== BUNDLE_FORMAT) return refuse("W6105", `unsupported bundle format ${JSON.stringify(top["format"])} (expected "${BUNDLE_FORMAT}")`);
  if (top["language"] !== LANGUAGE_VERSION) return refuse("W6105", `unsupported language ${JSON.stringify(top["language"])} (expected "${LANGUAGE_VERSION}")`);
  const semantics = top["semantics"];
  if (semantics !== "fail-closed" && semantics !== "cedar") return refuse("W6105", `unknown semantics ${JSON.stringify(semantics)}`);
  const sequence = top["sequence"];
  if (!isValidSequence(sequence)) return refuse("W6105", "`sequence` must be a non-negative integer");
  const statedSchemaId = str(top["schemaId"], "/schemaId");
  const statedBundleId = str(top["bundleId"], "/bundleId");
  const schema = readSchemaModel(top["schema"], "/schema");
  const policiesJson = top["policies"];
  if (!Array.isArray(policiesJson)) return refuse("W6105", "`policies` must be an array");

  const read: LoadedPolicy[] = [];
  const byName = new Map<string, LoadedPolicy>();
  for (let i = 0; i < policiesJson.length; i++) {
    const path = `/policies/${i}`;
    const p = fields(policiesJson[i], path, ["name", "id", "ir"]);
    const name = str(p["name"], `${path}/name`);
    const id = str(p["id"], `${path}/id`);
    if (isSlotPolicy(p["ir"])) return refuse("W6105", `policy \`${name}\` is an unlinked template compiled by an older writ: rebuild the bundle (writ compile)`);
    checkPolicyIr(p["ir"], `${path}/ir`);
    const ir = p["ir"];
    if (ir.name !== name) return refuse("W6105", `policy \`${name}\`: its IR is named \`${ir.name}\``);
    if (byName.has(name)) return refuse("W6105", `two policies are named \`${name}\``);
    const actual = policyId(ir);
    if (actual !== id) return refuse("W6102", `policy \`${name}\`: its IR hashes to ${actual}, not to the stated id ${id}`);
    const lp = withReason(name, id, ir);
    read.push(lp);
    byName.set(name, lp);
  }
  const policies = sortPolicyRefs(read);

  const linked = readTemplatesAndLinks(top, new Set(byName.keys()));
  if (!linked.ok) return refuse(linked.code, linked.message);
  for (const l of linked.links) byName.set(l.name, withReason(l.name, l.id, l.ir));
  const actualSchemaId = computeSchemaId(schema);
  if (actualSchemaId !== statedSchemaId) return refuse("W6101", `the schema hashes to ${actualSchemaId}, not to the stated schema id ${statedSchemaId}`);
  const actualBundleId = computeBundleId({ semantics, schemaId: actualSchemaId, sequence, policies, templates: linked.templates, links: linked.links });
  if (actualBundleId !== statedBundleId) return refuse("W6101", `the bundle hashes to ${actualBundleId}, not to the stated bundle id ${statedBundleId}`);

  let keyId: string | undefined;
  if (options.publicKey !== undefined) {
    keyId = keyIdOf(options.publicKey);
    const problem = signatureProblem(ed25519, top["signature"], options.publicKey, keyId, actualBundleId);
    if (problem !== undefined) return refuse("W6103", problem);
  } else if (top["signature"] !== undefined) {
    // Shape only: without a configured key the signature is not relied upon.
    fields(top["signature"], "/signature", ["keyId", "alg", "sig"]);
  }
  if (options.lastSequence !== undefined && sequence < options.lastSequence) {
    return refuse("W6104", `bundle sequence ${sequence} is lower than the last loaded sequence ${options.lastSequence} (rollback refused)`);
  }
  if (options.lastSequence !== undefined && sequence === options.lastSequence && options.lastBundleId !== actualBundleId) {
    return refuse(
      "W6104",
      `bundle ${actualBundleId} has sequence ${sequence}, the sequence of the last loaded bundle ${options.lastBundleId ?? "(another bundle)"}: a new bundle needs a higher sequence (rollback refused)`,
    );
  }

  const compiled = compileIrOnly({ kind: "policySet", version: IR_VERSION, policies: [...policies.map((p) => p.ir), ...linked.links.map((l) => l.ir)] }, { semantics });
  if (compiled.program === undefined) {
    return { diagnostics: compiled.diagnostics.map((d) => (d.code === "W6001" ? d : diag("W6105", `malformed bundle: ${d.message}`, NOWHERE))) };
  }
  const loaded: LoadedBundle = {
    bundleId: actualBundleId,
    semantics,
    sequence,
    schemaId: actualSchemaId,
    schema,
    policies,
    program: compiled.program,
    byName,
    ...(keyId === undefined ? {} : { keyId }),
    ...(linked.templates.length === 0 ? {} : { templates: linked.templates, links: linked.links }),
  };
  return { bundle: loaded, diagnostics: [] };
}

/** A loaded policy: its annotations in name order (whatever order the JSON lists them in) and its `@reason`. */
function withReason(name: string, id: string, ir: IrPolicy): LoadedPolicy {
  const ordered: IrPolicy = { ...ir, annotations: [...ir.annotations].sort((a, b) => compareCodeUnits(a.name, b.name)) };
  const reason = reasonOf(ordered);
  return reason === undefined ? { name, id, ir: ordered } : { name, id, ir: ordered, reason };
}

function signatureProblem(ed25519: Ed25519, sigJson: unknown, publicKey: Uint8Array, keyId: string, bundleId: string): string | undefined {
  if (sigJson === undefined) return "the bundle is not signed, but a public key is configured";
  let s;
  try {
    s = fields(sigJson, "/signature", ["keyId", "alg", "sig"]);
  } catch (e) {
    return `malformed signature: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (s["alg"] !== "ed25519") return `unsupported signature algorithm ${JSON.stringify(s["alg"])}`;
  if (s["keyId"] !== keyId) return `the bundle is signed by key ${String(s["keyId"])}, not by the configured key ${keyId}`;
  const sig = typeof s["sig"] === "string" ? base64Decode(s["sig"]) : undefined;
  if (sig === undefined || sig.length !== 64) return "the signature is not 64 bytes of standard base64";
  if (!ed25519.verify(publicKey, UTF8.encode(bundleId), sig)) return "the signature does not verify with the configured key";
  return undefined;
}

/**
 * Remembers, per signer key id (in memory), the last bundle accepted (sequence and id), and
 * refuses rollbacks: a lower sequence, or the same sequence with another bundle id.
 * Unsigned loads (no key configured) share the key id `"unsigned"`.
 */
export class BundleGuard {
  private readonly last = new Map<string, { readonly sequence: number; readonly bundleId: string }>();

  constructor(private readonly ed25519: Ed25519) {}

  /** The highest sequence accepted so far for `keyId`. */
  lastSequence(keyId: string): number | undefined {
    return this.last.get(keyId)?.sequence;
  }

  /** The last bundle accepted for `keyId`. */
  lastAccepted(keyId: string): { readonly sequence: number; readonly bundleId: string } | undefined {
    return this.last.get(keyId);
  }

  /** Load `json` (refusing a rollback for the same key) and remember it. */
  load(json: unknown, options: { readonly publicKey?: Uint8Array } = {}): LoadBundleResult {
    const keyId = options.publicKey === undefined ? "unsigned" : keyIdOf(options.publicKey);
    const last = this.last.get(keyId);
    const r = loadBundleWith(this.ed25519, json, { ...options, ...(last === undefined ? {} : { lastSequence: last.sequence, lastBundleId: last.bundleId }) });
    if (r.bundle !== undefined) this.last.set(keyId, { sequence: r.bundle.sequence, bundleId: r.bundle.bundleId });
    return r;
  }
}

export type { Bundle };

/** The unsigned canonical bundle JSON of a loaded bundle (what `loadBundle` accepts back). */
export function bundleText(b: LoadedBundle): string {
  return canonicalJson({
    format: BUNDLE_FORMAT,
    language: LANGUAGE_VERSION,
    semantics: b.semantics,
    sequence: b.sequence,
    schemaId: b.schemaId,
    schema: toPlainJson(b.schema),
    policies: b.policies.map((p) => ({ name: p.name, id: p.id, ir: toPlainJson(p.ir) })),
    ...(toPlainJson(templateFields(b)) as Record<string, unknown>),
    bundleId: b.bundleId,
  });
}
