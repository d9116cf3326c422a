/**
 * Bundles: the one JSON artifact CI builds and services load. It holds everything needed to
 * decide without the parser — the span-free IR of every policy, the resolved schema model —
 * and the content ids that make it tamper-evident:
 *
 * ```
 * { format: "writ-bundle/1", language: "writ/1", semantics, sequence,
 *   schemaId, schema, policies: [{ name, id, ir }], bundleId,
 *   signature?: { keyId, alg: "ed25519", sig } }
 * ```
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
import { stripSpans, type IrPolicy } from "./ir.js";
import type { Schema } from "./schema-model.js";
import { validatePolicies } from "./validate.js";

/** One policy of a bundle. */
export interface BundlePolicy {
  readonly name: string;
  readonly id: string;
  /** The span-free IR (its `name` equals the entry's `name`). */
  readonly ir: IrPolicy;
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
  readonly bundleId: string;
  readonly signature?: BundleSignature;
}

/** Input of {@link buildBundle}. */
export interface BuildBundleInput {
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
    const policies = sortPolicyRefs(
      compiled.ir.policies.map((p) => {
        const ir = stripSpans(p);
        return { name: p.name, id: policyId(ir), ir };
      }),
    );
    const seen = new Set<string>();
    for (const p of policies) {
      if (seen.has(p.name)) diagnostics.push(diag("W6105", `two policies are named \`${p.name}\`; names in a bundle must be unique`, NOWHERE));
      seen.add(p.name);
    }
    if (hasErrors(diagnostics)) return { bundle: undefined, diagnostics };
    const bad = findLoneSurrogate(input.schema);
    if (bad !== undefined) return { bundle: undefined, diagnostics: [...diagnostics, diag("W1020", `the schema contains a lone UTF-16 surrogate, which is not valid Unicode text (at ${bad.path})`, NOWHERE)] };
    const sId = schemaId(input.schema);
    const bundle: Bundle = {
      format: BUNDLE_FORMAT,
      language: LANGUAGE_VERSION,
      semantics,
      sequence,
      schemaId: sId,
      schema: toPlainJson(input.schema),
      policies,
      bundleId: bundleId({ semantics, schemaId: sId, sequence, policies }),
    };
    return { bundle, diagnostics };
  } catch (e) {
    const message = `internal compiler error: ${e instanceof Error ? e.message : String(e)}`;
    return { bundle: undefined, diagnostics: [...diagnostics, diag("W4002", message, NOWHERE)] };
  }
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
