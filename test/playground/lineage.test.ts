/**
 * The lineage picture's model (reading `writ lineage show --json` and proofs, the layered
 * layout, proof matching), the shipped sample, and the governance fields of Run
 * (obligations, shadow results, `@reason` texts, policy and bundle ids).
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildBundle, loadSchema } from "../../compiler/index.js";
import { parsePolicies, parseSchema } from "../../lang/index.js";
import { layoutTree, NODE_W, proofFor, readDocuments, recordOf, toneOf, type LineageTreeNode } from "../../playground/src/shared/lineage-model.js";
import { checkLineageProof } from "../../playground/src/writ-api.js";
import { handle, run } from "../../playground/src/writ-service.js";
import type { HoverResult } from "../../playground/src/protocol.js";
import { GOVERNED } from "./governed-fixture.js";

const SAMPLE = resolve(import.meta.dirname, "../../playground/public/lineage-sample");
const sampleFiles = (JSON.parse(readFileSync(join(SAMPLE, "index.json"), "utf8")) as { files: string[] }).files;
const sampleDocs = sampleFiles.map((f) => ({ source: f, json: JSON.parse(readFileSync(join(SAMPLE, f), "utf8")) as unknown }));

function walk(n: LineageTreeNode): LineageTreeNode[] {
  return [n, ...n.children.flatMap(walk)];
}

describe("lineage documents", () => {
  it("reads the shipped sample: one tree of 7 executions and a proof for each decision", () => {
    const docs = readDocuments(sampleDocs);
    expect(docs.problems).toEqual([]);
    expect(docs.trees).toHaveLength(1);
    const nodes = walk(docs.trees[0]!);
    expect(nodes).toHaveLength(7);
    expect(nodes.map(toneOf).filter((t) => t === "allow")).toHaveLength(5);
    expect(nodes.map(toneOf).filter((t) => t === "deny")).toHaveLength(2);
    for (const n of nodes) {
      const proof = proofFor(n, docs.proofs);
      expect(proof, n.execution).toBeDefined();
      expect(["authorized", "denied"]).toContain(n.events.find((e) => e.id === proof!.id)?.phase);
      expect(recordOf(proof)?.format).toBe("writ-decision/2");
    }
  });

  it("verifies every sample proof, and refuses a tampered one", () => {
    const docs = readDocuments(sampleDocs);
    for (const p of docs.proofs) expect(checkLineageProof(p)).toMatchObject({ ok: true, id: p.id, index: p.index });
    const p = docs.proofs[0]!;
    const decision = (p.event as { decision: Record<string, unknown> }).decision;
    const tampered = { ...p, event: { ...p.event, decision: { ...decision, decision: decision.decision === "allow" ? "deny" : "allow" } } };
    expect(checkLineageProof(tampered)).toEqual({ ok: false, error: "event content does not match its id" });
    expect(checkLineageProof({ format: "nope" }).ok).toBe(false);
  });

  it("reports what is neither a tree nor a proof, and accepts arrays of documents", () => {
    const docs = readDocuments([
      { source: "a.json", json: { hello: 1 } },
      { source: "b.json", json: [sampleDocs[0]!.json, 3] },
      { source: "c.json", json: { format: "writ-lineage-proof/1" } },
    ]);
    expect(docs.trees).toHaveLength(1);
    expect(docs.problems).toEqual([
      "a.json: neither `writ lineage show --json` output nor a `writ lineage prove` proof",
      "b.json[1]: neither `writ lineage show --json` output nor a `writ lineage prove` proof",
      "c.json: a lineage proof needs `id`, `index` and `event`",
    ]);
  });

  it("colours failed or undecided executions as errors", () => {
    const base = walk(readDocuments(sampleDocs).trees[0]!)[0]!;
    expect(toneOf({ ...base, verdict: "allow", outcome: "failed" })).toBe("error");
    expect(toneOf({ ...base, verdict: "unknown", outcome: "incomplete" })).toBe("error");
    expect(toneOf({ ...base, verdict: "deny", outcome: "denied" })).toBe("deny");
  });
});

/** Arbitrary execution trees (shape only; the other fields are fixed). */
const treeArb: fc.Arbitrary<LineageTreeNode> = fc.letrec<{ node: LineageTreeNode }>((tie) => ({
  node: fc
    .record({
      execution: fc.string({ maxLength: 8 }),
      verdict: fc.constantFrom("allow", "deny", "unknown"),
      outcome: fc.constantFrom("executed", "denied", "failed"),
      children: fc.oneof({ depthSize: "small" }, fc.constant([]), fc.array(tie("node"), { minLength: 1, maxLength: 3 })),
    })
    .map((r) => ({ ...r, actor: "a", node: "n", principal: "P", action: "A", resource: "R", depth: 0, events: [], selected: false })),
})).node;

describe("layered layout", () => {
  it("always places every node once, children one layer below their parent, and never overlaps two nodes", () => {
    fc.assert(
      fc.property(treeArb, (root) => {
        const l = layoutTree(root);
        expect(l.nodes).toHaveLength(walk(root).length);
        expect(l.edges).toHaveLength(l.nodes.length - 1);
        for (const e of l.edges) {
          expect(l.nodes[e.to]!.layer).toBe(l.nodes[e.from]!.layer + 1);
          expect(l.nodes[e.to]!.y).toBeGreaterThan(l.nodes[e.from]!.y);
        }
        for (let i = 0; i < l.nodes.length; i++) {
          const a = l.nodes[i]!;
          expect(a.x - NODE_W / 2).toBeGreaterThanOrEqual(0);
          expect(a.x + NODE_W / 2).toBeLessThanOrEqual(l.width);
          for (let j = i + 1; j < l.nodes.length; j++) {
            const b = l.nodes[j]!;
            if (a.layer === b.layer) expect(Math.abs(a.x - b.x)).toBeGreaterThanOrEqual(NODE_W);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("Run with governance", () => {
  it("shows @reason texts, merged obligations, shadow results, policy ids and the bundle id", () => {
    const r = run(GOVERNED);
    expect(r.decision).toBe("allow");
    expect(r.determiningDetails?.map((d) => [d.name, d.reason])).toEqual([
      ["owners-view", "owners may view their documents"],
      ["team-view", "the team may view"],
    ]);
    // Bool: or; Long: minimum; Set: union.
    expect(r.obligations).toEqual({ audit: true, level: 1, channels: ["#docs", "#team"] });
    expect(r.shadow).toEqual([{ name: "try-lockdown", effect: "forbid", satisfied: true }]);
    // Independent: the bundle the compiler builds from the same inputs.
    const parsedSchema = parseSchema(GOVERNED.schema);
    expect(parsedSchema.diagnostics).toEqual([]);
    const loaded = loadSchema(parsedSchema.ast!);
    expect(loaded.diagnostics).toEqual([]);
    const schema = loaded.schema!;
    const bundle = buildBundle({ policiesAst: parsePolicies(GOVERNED.policies).ast!, schema, semantics: "fail-closed" }).bundle!;
    expect(r.bundleId).toBe(bundle.bundleId);
    expect(r.bundleProblem).toBeUndefined();
    for (const p of bundle.policies) expect(r.policyIds?.[p.name]).toBe(p.id);
    expect(r.determiningDetails?.[0]?.id).toBe(bundle.policies.find((p) => p.name === "owners-view")?.id);
  });

  it("still gives policy ids without a schema, and says why there is no bundle id", () => {
    const r = run({ ...GOVERNED, schema: "" });
    expect(r.decision).toBe("allow");
    expect(r.bundleId).toBeUndefined();
    expect(r.bundleProblem).toBe("the bundle id needs a valid schema");
    expect(Object.keys(r.policyIds ?? {}).sort()).toEqual(["owners-view", "team-view", "try-lockdown"]);
  });

  it("adds the policy id to the hover on a policy's head, not inside its body", () => {
    const ids = run(GOVERNED).policyIds!;
    const at = (needle: string): HoverResult | null =>
      handle({ kind: "hover", id: 1, state: GOVERNED, offset: GOVERNED.policies.indexOf(needle) + 1 }) as HoverResult | null;
    expect(at(`permit (principal, action == Action::"view", resource)\nobligations`)?.contents).toContain(`policy id \`${ids["team-view"]}\``);
    expect(at(`@reason("owners`)?.contents).toContain(`policy id \`${ids["owners-view"]}\``);
    expect(at("resource.owner")?.contents.some((c) => c.startsWith("policy id"))).toBe(false);
  });
});
