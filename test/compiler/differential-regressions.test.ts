/**
 * Regression rows found by the differential property (`differential.test.ts`): each row is a
 * minimized disagreement between Writ and Cedar (`@cedar-policy/cedar-wasm`), with the answer
 * Cedar gives (the reference for the Cedar core). Every row checks the fixed expected answer
 * and, again, that cedar-wasm still agrees with it, in cedar semantics.
 */
import { describe, expect, it } from "vitest";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { parsePolicies } from "../../lang/index.js";
import { hasErrors } from "../../lang/diagnostics.js";
import { compile, requestFromJson } from "../../compiler/index.js";
import { entitiesFromJson, type JsonValue } from "../../stdlib/index.js";

interface Uid {
  readonly type: string;
  readonly id: string;
}

interface Expected {
  readonly decision: "allow" | "deny";
  readonly reasons: readonly string[];
  readonly errors: readonly string[];
}

/** One regression: policies, optional entities/request (defaults below), and Cedar's answer. */
interface Row {
  readonly name: string;
  /** Why Cedar's answer is the right one (the docs, or Cedar's reference behaviour). */
  readonly note: string;
  readonly policies: string;
  readonly entities?: readonly unknown[];
  readonly principal?: Uid;
  readonly action?: Uid;
  readonly resource?: Uid;
  readonly context?: Record<string, unknown>;
  /** Cedar's answer, or "rejected" when Cedar rejects the input (then Writ must report an error). */
  readonly expected: Expected | "rejected";
}

const DEFAULT_PRINCIPAL: Uid = { type: "User", id: "alice" };
const DEFAULT_ACTION: Uid = { type: "Action", id: "view" };
const DEFAULT_RESOURCE: Uid = { type: "Doc", id: "d1" };

const ROWS: readonly Row[] = [
  {
    name: "a star written as \\x2a in a like pattern is a wildcard",
    note: "Cedar decodes pattern escapes first; only `\\*` yields a literal star, so `\\x2a` is `*`, the wildcard.",
    policies: 'permit(principal, action, resource) when { "" like "\\x2a" };',
    expected: { decision: "allow", reasons: ["policy0"], errors: [] },
  },
  {
    name: "a star written as \\u{2a} in a like pattern is a wildcard (and \\* is still literal)",
    note: "Same rule as \\x2a: a decoded star is a wildcard unless written `\\*`.",
    policies: [
      'permit(principal, action, resource) when { "abc" like "a\\u{2a}" };',
      'permit(principal, action, resource) when { "ab" like "a\\*" };',
      'permit(principal, action, resource) when { "a*" like "a\\*" };',
    ].join("\n"),
    expected: { decision: "allow", reasons: ["policy0", "policy2"], errors: [] },
  },
  {
    name: "an entity of a type other than Action in the action scope is rejected",
    note: "Cedar's parser requires action-scope entities to have type `Action` or `NS::Action` (`expected an entity uid with type Action`).",
    policies: 'permit(principal, action in [G::"e0"], resource);',
    expected: "rejected",
  },
  {
    name: "action == / action in with a non-Action entity are rejected too",
    note: "Same rule for `==` and for a single `in` target, including `A::Action::B`.",
    policies: 'permit(principal, action == G::"e0", resource);\npermit(principal, action in A::Action::B::"x", resource);',
    expected: "rejected",
  },
  {
    name: "a namespaced Action type is accepted in the action scope",
    note: "`NS::Action::\"x\"` is an action entity; it matches by equality.",
    policies: 'permit(principal, action in [NS::Action::"x", Action::"view"], resource);\npermit(principal, action == NS::Action::"x", resource);',
    action: { type: "NS::Action", id: "x" },
    expected: { decision: "allow", reasons: ["policy0", "policy1"], errors: [] },
  },
  {
    name: "an action entity with a non-action parent is rejected",
    note: "Cedar: `action Action::\"a8\" has a non-action parent G::\"e0\"` (parents of actions must have type Action, perhaps namespaced).",
    policies: "permit(principal, action, resource);",
    entities: [{ uid: { type: "Action", id: "a8" }, attrs: {}, parents: [{ type: "G", id: "e0" }] }],
    action: { type: "Action", id: "a8" },
    expected: "rejected",
  },
  {
    name: "non-action entities may have action parents, and namespaced actions may have Action parents",
    note: "Only the parents of actions are restricted; `NS::Action` counts as an action type.",
    policies: 'permit(principal in Action::"all", action in Action::"all", resource);',
    entities: [
      { uid: { type: "G", id: "e0" }, attrs: {}, parents: [{ type: "Action", id: "all" }] },
      { uid: { type: "NS::Action", id: "a8" }, attrs: {}, parents: [{ type: "Action", id: "all" }] },
    ],
    principal: { type: "G", id: "e0" },
    action: { type: "NS::Action", id: "a8" },
    expected: { decision: "allow", reasons: ["policy0"], errors: [] },
  },
];

/** Writ's outcome in cedar semantics (reasons and errors sorted), or the codes that rejected the input. */
function writOutcome(row: Row): Expected | { readonly rejected: string[] } {
  const parsed = parsePolicies(row.policies);
  if (parsed.ast === undefined || hasErrors(parsed.diagnostics)) return { rejected: parsed.diagnostics.map((d) => d.code) };
  const compiled = compile(parsed.ast, { semantics: "cedar" });
  if (compiled.program === undefined) return { rejected: compiled.diagnostics.map((d) => d.code) };
  const store = entitiesFromJson((row.entities ?? []) as JsonValue);
  if (store.entities === undefined) return { rejected: store.diagnostics.map((d) => d.code) };
  const req = requestFromJson({
    principal: row.principal ?? DEFAULT_PRINCIPAL,
    action: row.action ?? DEFAULT_ACTION,
    resource: row.resource ?? DEFAULT_RESOURCE,
    context: (row.context ?? {}) as JsonValue,
  });
  if (req.request === undefined) return { rejected: req.diagnostics.map((d) => d.code) };
  const d = compiled.program.decide(req.request, store.entities);
  return { decision: d.decision, reasons: [...d.reasons].sort(), errors: [...new Set(d.errors.map((e) => e.policy))].sort() };
}

/** Cedar's outcome (reasons and errors sorted), or "rejected". */
function cedarOutcome(row: Row): Expected | "rejected" {
  const answer = cedar.isAuthorized({
    principal: row.principal ?? DEFAULT_PRINCIPAL,
    action: row.action ?? DEFAULT_ACTION,
    resource: row.resource ?? DEFAULT_RESOURCE,
    context: (row.context ?? {}) as cedar.Context,
    policies: { staticPolicies: row.policies },
    entities: (row.entities ?? []) as cedar.Entities,
  });
  if (answer.type === "failure") return "rejected";
  const r = answer.response;
  return { decision: r.decision, reasons: [...r.diagnostics.reason].sort(), errors: [...new Set(r.diagnostics.errors.map((e) => e.policyId))].sort() };
}

describe("differential regressions (Writ = Cedar)", () => {
  for (const row of ROWS) {
    it(row.name, () => {
      expect(cedarOutcome(row)).toEqual(row.expected);
      const w = writOutcome(row);
      if (row.expected === "rejected") {
        expect(w).toHaveProperty("rejected");
        expect((w as { rejected: string[] }).rejected.length).toBeGreaterThan(0);
      } else expect(w).toEqual(row.expected);
    });
  }
});
