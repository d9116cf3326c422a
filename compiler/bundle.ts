/**
 * Bundles: the one JSON artifact CI builds and services load. It holds everything needed to
 * decide without the parser — the span-free IR of every policy, the resolved schema model —
 * and the content ids that make it tamper-evident:
 *
 * ```
 * { format: "writ-bundle/1", language: "writ/1", semantics, sequence,
 *   schemaId, schema, policies: [{ name, id, ir }],
 *   templates?: [{ name, id, ir }], links?: [{ name, id, template, templateId, values }],
 *   bundleId, signature?: { keyId, alg: "ed25519", sig } }
 * ```
 *
 * `templates` and `links` are present only when the policy set has templates; a bundle
 * without them is byte for byte what earlier versions wrote (same format tag, same ids). A
 * link stores its template's name and id and its slot values (`{"?principal": {type, id}}`),
 * not the linked IR: the loader links again and recomputes every id.
 *
 * `policies` is stored sorted by id (then name), the order the bundle id hashes, so a bundle
 * is a function of its content. The signature signs the UTF-8 bytes of the bundle id string;
 * `keyId` is `sha256:<hex>` of the raw 32-byte public key.
 *
 * NOTE: building needs the compiler (lowering, validation); loading lives in
 * `runtime/bundle.ts` and needs only the IR back end.
 */
import type { PolicySet } from "../lang/ast.js";
import { diag, hasErrors, type Diagnostic } from "../lang/diagnostics.js";
import { findLoneSurrogate } from "./canonical.js";
import { compile } from "./compile.js";
import type { Semantics } from "./decide.js";
import { BUNDLE_FORMAT, LANGUAGE_VERSION, bundleId, isValidSequence, keyIdOf, policyId, schemaId, sortPolicyRefs, toPlainJson, type PlainJson } from "./ids.js";

export { isValidSequence, keyIdOf } from "./ids.js";
import { stripSpans, type IrLink, type IrPolicy, type IrSlotValues, type IrTemplate } from "./ir.js";
import { linkId, plainSlotValues, templateId } from "./link.js";
import type { Schema } from "./schema-model.js";
import { validatePolicies } from "./validate.js";

/** One policy of a bundle. */
export interface BundlePolicy {
  readonly name: string;
  readonly id: string;
  /** The span-free IR (its `name` equals the entry's `name`). */
  readonly ir: IrPolicy;
}

/** One template of a bundle. */
export interface BundleTemplate {
  readonly name: string;
  /** The template id (`templateId` of `link.ts`). */
  readonly id: string;
  /** The span-free template IR (its `name` equals the entry's `name`). */
  readonly ir: IrTemplate;
}

/** One template link of a bundle: the policy `name` made from template `template`. */
export interface BundleLink {
  readonly name: string;
  /** The link id: covers `templateId` and `values`. */
  readonly id: string;
  readonly template: string;
  readonly templateId: string;
  readonly values: IrSlotValues;
}

/** A bundle signature (Ed25519 over the UTF-8 bytes of `bundleId`). */
export interface BundleSignature {
  readonly keyId: string;
  readonly alg: "ed25519";
  /** Standard padded base64 of the 64-byte signature. */
  readonly sig: string;
}

/** The bundle artifact (plain JSON). */
export interface Bundle {
  readonly format: typeof BUNDLE_FORMAT;
  readonly language: typeof LANGUAGE_VERSION;
  readonly semantics: Semantics;
  readonly sequence: number;
  readonly schemaId: string;
  /** The resolved schema model as plain JSON. */
  readonly schema: PlainJson;
  readonly policies: readonly BundlePolicy[];
  /** Present when the policy set has templates (sorted by id, then name). */
  readonly templates?: readonly BundleTemplate[];
  /** Present with `templates` (sorted by id, then name). */
  readonly links?: readonly BundleLink[];
  readonly bundleId: string;
  readonly signature?: BundleSignature;
}

/** Input of {@link buildBundle}. */
export interface BuildBundleInput {
  /** The policies, templates and links (`policiesAst.links`) of the bundle. */
  readonly policiesAst: PolicySet;
  readonly schema: Schema;
  readonly semantics?: Semantics;
  /** Non-negative safe integer; services refuse bundles with a lower sequence than the last loaded. Default 0. */
  readonly sequence?: number;
  /** Validate the policies against the schema first (default true). */
  readonly validate?: boolean;
}

/** The result of {@link buildBundle}: `bundle` is undefined when there are error diagnostics. */
export interface BuildBundleResult {
  readonly bundle: Bundle | undefined;
  readonly diagnostics: Diagnostic[];
}

/** The Ed25519 operations signing needs (structurally `Ed25519` of `runtime/crypto`). */
export interface BundleSigner {
  sign(privateKey: Uint8Array, msg: Uint8Array): Uint8Array;
  publicKeyOf(privateKey: Uint8Array): Uint8Array;
}

const NOWHERE = { start: 0, end: 0 };
const UTF8 = new TextEncoder();

/**
 * Build a bundle: validate (optionally), lower, hash. Never throws.
 * Error diagnostics (parse-independent: validation, lowering, cedar-mode restrictions) leave
 * `bundle` undefined.
 */
export function buildBundle(input: BuildBundleInput): BuildBundleResult {
  const semantics: Semantics = input.semantics ?? "fail-closed";
  const sequence = input.sequence ?? 0;
  if (!isValidSequence(sequence)) {
    return { bundle: undefined, diagnostics: [diag("W5008", `the sequence number must be a non-negative integer, got ${String(sequence)}`, NOWHERE)] };
  }
  const diagnostics: Diagnostic[] = [];
  if (input.validate !== false) for (const x of validatePolicies(input.policiesAst, input.schema).diagnostics) diagnostics.push(x);
  if (hasErrors(diagnostics)) return { bundle: undefined, diagnostics };
  const compiled = compile(input.policiesAst, { semantics });
  for (const x of compiled.diagnostics) diagnostics.push(x);
  if (compiled.ir === undefined || hasErrors(diagnostics)) return { bundle: undefined, diagnostics };
  try {
    const ir = compiled.ir;
    // INVARIANT: lowering puts the linked policies last, one per link.
    const statics = ir.policies.slice(0, ir.policies.length - (ir.links?.length ?? 0));
    const policies = sortPolicyRefs(
      statics.map((p) => {
        const stripped = stripSpans(p);
        return { name: p.name, id: policyId(stripped), ir: stripped };
      }),
    );
    const { templates, links } = bundleTemplates(ir.templates ?? [], ir.links ?? []);
    const seen = new Set<string>();
    for (const p of [...policies, ...templates, ...links]) {
      if (seen.has(p.name)) diagnostics.push(diag("W6105", `two policies are named \`${p.name}\`; names in a bundle must be unique`, NOWHERE));
      seen.add(p.name);
    }
    if (hasErrors(diagnostics)) return { bundle: undefined, diagnostics };
    const bad = findLoneSurrogate(input.schema);
    if (bad !== undefined) return { bundle: undefined, diagnostics: [...diagnostics, diag("W1020", `the schema contains a lone UTF-16 surrogate, which is not valid Unicode text (at ${bad.path})`, NOWHERE)] };
    const sId = schemaId(input.schema);
    const withTemplates = templates.length === 0 ? {} : { templates, links };
    const bundle: Bundle = {
      format: BUNDLE_FORMAT,
      language: LANGUAGE_VERSION,
      semantics,
      sequence,
      schemaId: sId,
      schema: toPlainJson(input.schema),
      policies,
      ...withTemplates,
      bundleId: bundleId({ semantics, schemaId: sId, sequence, policies, ...withTemplates }),
    };
    return { bundle, diagnostics };
  } catch (e) {
    const message = `internal compiler error: ${e instanceof Error ? e.message : String(e)}`;
    return { bundle: undefined, diagnostics: [...diagnostics, diag("W4002", message, NOWHERE)] };
  }
}

/** The bundle entries of the templates and links of a lowered set, sorted by id (then name). */
function bundleTemplates(irTemplates: readonly IrTemplate[], irLinks: readonly IrLink[]): { templates: BundleTemplate[]; links: BundleLink[] } {
  const templates = sortPolicyRefs(
    irTemplates.map((t) => {
      const stripped = stripSpans(t);
      return { name: t.name, id: templateId(stripped), ir: stripped };
    }),
  );
  const idOf = new Map(templates.map((t) => [t.name, t.id]));
  const links = sortPolicyRefs(
    irLinks.map((l) => {
      const tId = idOf.get(l.template) ?? "";
      const values = plainSlotValues(l.values);
      return { name: l.name, id: linkId(tId, values), template: l.template, templateId: tId, values };
    }),
  );
  return { templates, links };
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return btoa(s);
}

/**
 * A copy of `bundle` signed with `privateKey` (32-byte Ed25519 seed): the signature covers
 * the UTF-8 bytes of the bundle id, which itself covers every other field.
 * Throws only when the key is not 32 bytes (a broken caller invariant).
 */
export function signBundle(bundle: Bundle, privateKey: Uint8Array, signer: BundleSigner): Bundle {
  const sig = signer.sign(privateKey, UTF8.encode(bundle.bundleId));
  const keyId = keyIdOf(signer.publicKeyOf(privateKey));
  return { ...bundle, signature: { keyId, alg: "ed25519", sig: base64(sig) } };
}
