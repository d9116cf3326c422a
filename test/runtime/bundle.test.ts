/**
 * Bundles: build → JSON → load round trip; every tampering is refused; the signature is
 * required whenever a key is configured; rollbacks are refused.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parsePolicies } from "../../lang/index.js";
import { compile, requestFromJson } from "../../compiler/index.js";
import { signBundle, type Bundle } from "../../compiler/bundle.js";
import { bundleId, policyId, schemaId } from "../../compiler/ids.js";
import { nodeEd25519 } from "../../runtime/crypto/ed25519-node.js";
import { browserEd25519 } from "../../runtime/crypto/ed25519-browser.js";
import { BundleGuard, decide, keyIdOf, loadBundle, loadEntities, recordBytes, type EntityJson, type RequestJson } from "../../runtime/index.js";
import { bundleText } from "../../runtime/bundle.js";
import { loadBundle as loadBundleBrowser } from "../../runtime/browser.js";
import { bundleFrom, exampleBundle, exampleJson } from "../support/bundles.js";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { entitiesFromJson, type JsonValue } from "../../stdlib/json.js";
import { Entities } from "../../stdlib/index.js";

const SEED = new Uint8Array(32).map((_, i) => i + 1);
const OTHER_SEED = new Uint8Array(32).map((_, i) => 200 - i);
const PUB = nodeEd25519.publicKeyOf(SEED);
const OTHER_PUB = nodeEd25519.publicKeyOf(OTHER_SEED);

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
const ENTITIES_OF_EXAMPLE = exampleJson("entities.json") as readonly EntityJson[];
const REQUESTS_OF_EXAMPLE = (exampleJson("tests.json") as { requests: RequestJson[] }).requests.map((r): RequestJson => ({
  principal: r.principal,
  action: r.action,
  resource: r.resource,
  context: r.context,
}));
const codes = (r: { diagnostics: readonly { code: string }[] }): string[] => r.diagnostics.map((d) => d.code);

type Path = readonly (string | number)[];

/** Every leaf (and every object key) of a JSON value, as paths. */
function leaves(x: unknown, path: Path = []): Path[] {
  if (Array.isArray(x)) return x.length === 0 ? [path] : x.flatMap((y, i) => leaves(y, [...path, i]));
  if (x !== null && typeof x === "object") {
    const keys = Object.keys(x);
    return keys.length === 0 ? [path] : keys.flatMap((k) => leaves((x as Record<string, unknown>)[k], [...path, k]));
  }
  return [path];
}

/** A copy of `root` with the leaf at `path` changed to a different value of a plausible type. */
function mutateLeaf(root: unknown, path: Path, variant: number): unknown {
  const copy = clone(root);
  if (path.length === 0) return "tampered";
  let parent = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  const v = parent[last];
  let next: unknown;
  if (typeof v === "string") next = variant % 2 === 0 ? `${v}x` : v.slice(0, -1) + (v.endsWith("a") ? "b" : "a");
  else if (typeof v === "number") next = variant % 2 === 0 ? v + 1 : v === 0 ? 2 : v - 1;
  else if (typeof v === "boolean") next = !v;
  else if (v === null) next = "x";
  else if (Array.isArray(v)) next = [...v, "x"];
  else next = { ...(v as object), extra: 1 };
  parent[last] = next;
  return copy;
}

function decisionsEqual(bundle: Bundle, src: string): void {
  const loaded = loadBundle(clone(bundle));
  expect(loaded.diagnostics).toEqual([]);
  const direct = compile(parsePolicies(src).ast!, { semantics: bundle.semantics }).program!;
  const tests = exampleJson("tests.json") as { requests: { principal: unknown; action: unknown; resource: unknown; context: unknown }[] };
  const ents = entitiesFromJson(exampleJson("entities.json") as JsonValue).entities!;
  const withActions = Entities.build([...ents.records()]).entities!;
  for (const r of tests.requests) {
    const req = requestFromJson(r).request!;
    const a = loaded.bundle!.program.decide(req, withActions);
    const b = direct.decide(req, withActions);
    expect({ decision: a.decision, reasons: [...a.reasons].sort() }).toEqual({ decision: b.decision, reasons: [...b.reasons].sort() });
  }
}

describe("bundle round trip", () => {
  it("builds, serializes and loads with every id intact", () => {
    const b = exampleBundle({ sequence: 7 });
    expect(b.format).toBe("writ-bundle/1");
    expect(b.language).toBe("writ/1");
    expect(b.sequence).toBe(7);
    expect(b.policies.length).toBe(8);
    for (const p of b.policies) expect(policyId(p.ir)).toBe(p.id);
    expect(JSON.stringify(b)).not.toContain('"span"');
    const r = loadBundle(b);
    expect(codes(r)).toEqual([]);
    expect(r.bundle!.bundleId).toBe(b.bundleId);
    expect(r.bundle!.sequence).toBe(7);
    expect(r.bundle!.schemaId).toBe(b.schemaId);
    expect(schemaId(r.bundle!.schema)).toBe(b.schemaId);
    expect(r.bundle!.policies.map((p) => p.name)).toEqual(b.policies.map((p) => p.name));
    expect(r.bundle!.byName.get("owner-full-access")!.reason).toBe("Owners have full control of their documents");
  });

  it("stores policies sorted by id, so the bundle does not depend on policy order", () => {
    const src = readFileSync(resolve(process.cwd(), "examples/doc-sharing/policies.cedar"), "utf8");
    const schema = readFileSync(resolve(process.cwd(), "examples/doc-sharing/schema.cedarschema"), "utf8");
    const parts = src.split(/\n(?=@id)/);
    const reversed = [parts[0], ...parts.slice(1).reverse()].join("\n");
    const a = bundleFrom(src, schema);
    const b = bundleFrom(reversed, schema);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const ids = a.policies.map((p) => p.id);
    expect(ids).toEqual([...ids].sort());
  });

  it("decides exactly like the compiled policies, in both semantics", () => {
    const src = readFileSync(resolve(process.cwd(), "examples/doc-sharing/policies.cedar"), "utf8");
    decisionsEqual(exampleBundle(), src);
    decisionsEqual(exampleBundle({ semantics: "cedar" }), src);
  });

  it("loads signed bundles with the configured key (node and browser Ed25519)", () => {
    const signed = clone(signBundle(exampleBundle(), SEED, nodeEd25519));
    expect(signed.signature!.alg).toBe("ed25519");
    expect(codes(loadBundle(signed, { publicKey: PUB }))).toEqual([]);
    expect(codes(loadBundleBrowser(signed, { publicKey: PUB }))).toEqual([]);
    expect(loadBundle(signed, { publicKey: PUB }).bundle!.keyId).toBe(signed.signature!.keyId);
    const browserSigned = signBundle(exampleBundle(), SEED, browserEd25519);
    expect(browserSigned.signature).toEqual(signed.signature);
  });

  it("refuses a build with a bad sequence number", () => {
    expect(() => bundleFrom("permit(principal, action, resource);", "entity User;", { sequence: -1 })).toThrow(/W5008/);
  });
});

describe("tampering", () => {
  const bundle = exampleBundle({ sequence: 3 });
  const signed = clone(signBundle(bundle, SEED, nodeEd25519));
  const unsignedLeaves = leaves(bundle);
  const signedLeaves = leaves(signed);

  it("changing any byte-level leaf of an unsigned bundle is refused", () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (pick, variant) => {
        const path = unsignedLeaves[pick % unsignedLeaves.length]!;
        const r = loadBundle(mutateLeaf(bundle, path, variant));
        expect(r.bundle, `path ${path.join("/")}`).toBeUndefined();
        expect(r.diagnostics.length).toBe(1);
        expect(r.diagnostics[0]!.code).toMatch(/^W610[1-5]$/);
      }),
      { numRuns: 400 },
    );
  });

  it("changing any leaf of a signed bundle is refused when the key is configured", () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (pick, variant) => {
        const path = signedLeaves[pick % signedLeaves.length]!;
        const r = loadBundle(mutateLeaf(signed, path, variant), { publicKey: PUB });
        expect(r.bundle, `path ${path.join("/")}`).toBeUndefined();
      }),
      { numRuns: 400 },
    );
  });

  it("names the policy whose IR was changed", () => {
    const t = clone(bundle) as unknown as { policies: { name: string; ir: { effect: string } }[] };
    const victim = t.policies[2]!;
    victim.ir.effect = victim.ir.effect === "permit" ? "forbid" : "permit";
    const r = loadBundle(t);
    expect(codes(r)).toEqual(["W6102"]);
    expect(r.diagnostics[0]!.message).toContain(`\`${victim.name}\``);
  });

  it("refuses changed schema, ids, names, semantics and sequence with the right code", () => {
    const cases: [string, (b: Record<string, unknown> & Bundle) => void, string][] = [
      ["schema", (b) => void ((b.schema as { actionTypes: string[] }).actionTypes.push("X::Action")), "W6101"],
      ["schemaId", (b) => void ((b as { schemaId: string }).schemaId = "sha256:" + "0".repeat(64)), "W6101"],
      ["bundleId", (b) => void ((b as { bundleId: string }).bundleId = "sha256:" + "0".repeat(64)), "W6101"],
      ["policy id", (b) => void ((b.policies[0] as { id: string }).id = b.policies[1]!.id), "W6102"],
      ["name", (b) => void ((b.policies[0] as { name: string }).name = "renamed"), "W6105"],
      ["name and IR name", (b) => void ((b.policies[0] as { name: string }).name = ((b.policies[0]!.ir as { name: string }).name = "renamed")), "W6101"],
      ["semantics", (b) => void ((b as { semantics: string }).semantics = "cedar"), "W6101"],
      ["sequence", (b) => void ((b as { sequence: number }).sequence = 2), "W6101"],
      ["format", (b) => void ((b as { format: string }).format = "writ-bundle/2"), "W6105"],
      ["extra field", (b) => void (b["extra"] = true), "W6105"],
      ["extra IR field", (b) => void ((b.policies[0]!.ir as unknown as Record<string, unknown>)["extra"] = 1), "W6105"],
      ["unknown IR kind", (b) => void ((b.policies.find((p) => p.ir.conditions.length > 0)!.ir.conditions[0]!.body as { kind: string }).kind = "eval"), "W6105"],
      ["duplicate policy", (b) => void (b as unknown as { policies: unknown[] }).policies.push(b.policies[0]), "W6105"],
    ];
    for (const [what, f, code] of cases) {
      const t = clone(bundle) as Record<string, unknown> & Bundle;
      f(t);
      expect(codes(loadBundle(t)), what).toEqual([code]);
    }
  });

  it("a tampered bundle with recomputed ids loads only without a key", () => {
    const t = clone(signed) as { policies: { name: string; id: string; ir: { effect: string } }[]; bundleId: string } & Bundle;
    const victim = t.policies[0]!;
    victim.ir.effect = victim.ir.effect === "permit" ? "forbid" : "permit";
    victim.id = policyId(victim.ir as Bundle["policies"][number]["ir"]);
    t.bundleId = bundleId({ semantics: t.semantics, schemaId: t.schemaId, sequence: t.sequence, policies: t.policies });
    expect(codes(loadBundle(t))).toEqual([]);
    expect(codes(loadBundle(t, { publicKey: PUB }))).toEqual(["W6103"]);
  });

  it("never throws and always refuses arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (j) => {
        const r = loadBundle(j);
        expect(r.bundle).toBeUndefined();
        expect(codes(r)).toEqual(["W6105"]);
      }),
      { numRuns: 200 },
    );
  });
});

describe("signatures", () => {
  const bundle = exampleBundle();
  const signed = clone(signBundle(bundle, SEED, nodeEd25519));

  it("a configured key requires a signature", () => {
    expect(codes(loadBundle(bundle, { publicKey: PUB }))).toEqual(["W6103"]);
    const { signature: _s, ...stripped } = signed;
    expect(codes(loadBundle(stripped, { publicKey: PUB }))).toEqual(["W6103"]);
    expect(codes(loadBundle({ ...signed, signature: null }, { publicKey: PUB }))).toEqual(["W6103"]);
  });

  it("a signature by another key, a corrupted or a replayed signature is refused", () => {
    expect(codes(loadBundle(signed, { publicKey: OTHER_PUB }))).toEqual(["W6103"]);
    const other = clone(signBundle(bundle, OTHER_SEED, nodeEd25519));
    expect(codes(loadBundle({ ...other, signature: { ...other.signature!, keyId: signed.signature!.keyId } }, { publicKey: PUB }))).toEqual(["W6103"]);
    const sig = signed.signature!.sig;
    const flipped = (sig[0] === "A" ? "B" : "A") + sig.slice(1);
    expect(codes(loadBundle({ ...signed, signature: { ...signed.signature!, sig: flipped } }, { publicKey: PUB }))).toEqual(["W6103"]);
    expect(codes(loadBundle({ ...signed, signature: { ...signed.signature!, alg: "rsa" } }, { publicKey: PUB }))).toEqual(["W6103"]);
    const seq2 = clone(signBundle(exampleBundle({ sequence: 2 }), SEED, nodeEd25519));
    expect(codes(loadBundle({ ...seq2, signature: signed.signature }, { publicKey: PUB }))).toEqual(["W6103"]);
  });

  it("without a configured key, the signature is not relied upon but must be well-formed", () => {
    expect(codes(loadBundle(signed))).toEqual([]);
    expect(codes(loadBundle({ ...signed, signature: { bogus: 1 } }))).toEqual(["W6105"]);
  });
});

describe("bundle order", () => {
  it("reversed policies or annotations load with the same id and give byte-identical decision records", () => {
    const b = exampleBundle();
    const base = loadBundle(clone(b)).bundle!;
    const reversed = clone({ ...b, policies: [...b.policies].reverse().map((p) => ({ ...p, ir: { ...p.ir, annotations: [...p.ir.annotations].reverse() } })) });
    const r = loadBundle(reversed).bundle!;
    expect(r.bundleId).toBe(base.bundleId);
    expect(r.policies.map((p) => p.name)).toEqual(base.policies.map((p) => p.name));
    expect(r.policies.map((p) => p.ir.annotations.map((a) => a.name))).toEqual(base.policies.map((p) => p.ir.annotations.map((a) => a.name)));
    expect(bundleText(r)).toBe(bundleText(base));
    const ents = loadEntities(base, ENTITIES_OF_EXAMPLE).store!;
    for (const req of REQUESTS_OF_EXAMPLE) expect(Buffer.from(recordBytes(decide(r, req, ents))).toString()).toBe(Buffer.from(recordBytes(decide(base, req, ents))).toString());
  });
});

describe("rollback protection", () => {
  it("refuses a sequence lower than the last one, and another bundle at the same sequence", () => {
    const b = exampleBundle({ sequence: 4 });
    expect(codes(loadBundle(b, { lastSequence: 5 }))).toEqual(["W6104"]);
    expect(codes(loadBundle(b, { lastSequence: 4, lastBundleId: b.bundleId }))).toEqual([]);
    expect(codes(loadBundle(b, { lastSequence: 4 }))).toEqual(["W6104"]);
    expect(codes(loadBundle(b, { lastSequence: 4, lastBundleId: "sha256:" + "0".repeat(64) }))).toEqual(["W6104"]);
    expect(codes(loadBundle(b, { lastSequence: 3 }))).toEqual([]);
    expect(codes(loadBundle(b, { lastSequence: 0 }))).toEqual([]);
  });

  it("refuses an older, more permissive bundle signed by the same key at the default sequence 0", () => {
    const guard = new BundleGuard();
    const strict = signBundle(bundleFrom('permit (principal, action, resource) when { false };', "entity User; action read appliesTo { principal: User, resource: User };"), SEED, nodeEd25519);
    const open = signBundle(bundleFrom("permit (principal, action, resource);", "entity User; action read appliesTo { principal: User, resource: User };"), SEED, nodeEd25519);
    expect(strict.sequence).toBe(0);
    expect(codes(guard.load(clone(strict), { publicKey: PUB }))).toEqual([]);
    const rolled = guard.load(clone(open), { publicKey: PUB });
    expect(codes(rolled)).toEqual(["W6104"]);
    expect(rolled.diagnostics[0]!.message).toMatch(/a new bundle needs a higher sequence/);
    expect(codes(guard.load(clone(strict), { publicKey: PUB }))).toEqual([]);
    expect(guard.lastAccepted(keyIdOf(PUB))?.bundleId).toBe(strict.bundleId);
  });

  it("BundleGuard remembers the last sequence per signer key", () => {
    const guard = new BundleGuard();
    const s5 = signBundle(exampleBundle({ sequence: 5 }), SEED, nodeEd25519);
    const s4 = signBundle(exampleBundle({ sequence: 4 }), SEED, nodeEd25519);
    const o4 = signBundle(exampleBundle({ sequence: 4 }), OTHER_SEED, nodeEd25519);
    expect(codes(guard.load(s5, { publicKey: PUB }))).toEqual([]);
    expect(codes(guard.load(s4, { publicKey: PUB }))).toEqual(["W6104"]);
    expect(codes(guard.load(s5, { publicKey: PUB }))).toEqual([]);
    expect(codes(guard.load(o4, { publicKey: OTHER_PUB }))).toEqual([]);
    expect(codes(guard.load(s4))).toEqual([]);
    expect(codes(guard.load(exampleBundle({ sequence: 3 })))).toEqual(["W6104"]);
    // A refused load does not move the mark.
    expect(codes(guard.load(s4, { publicKey: OTHER_PUB }))).toEqual(["W6103"]);
    expect(guard.lastSequence(loadBundle(s5, { publicKey: PUB }).bundle!.keyId!)).toBe(5);
  });
});
