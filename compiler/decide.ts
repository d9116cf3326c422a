/**
 * The decision function: compiled policies, the request index, and the assembly of
 * `Decision { decision, reasons, errors }` under the two semantics modes.
 *
 * Semantics (Cedar's authorization algorithm plus Writ's fail-closed mode):
 * - a policy is satisfied when its scope matches and every `when` is true and every
 *   `unless` false; a policy whose evaluation errors is "erroring";
 * - any satisfied forbid ⇒ deny, reasons = the satisfied forbids;
 * - else any satisfied permit ⇒ allow, reasons = the satisfied permits; else deny, no reasons;
 * - `cedar` mode skips erroring policies (exactly Cedar); `fail-closed` (default) also denies
 *   when any forbid errors (reasons then list only satisfied forbids, possibly none).
 * - `errors` lists every erroring policy in both modes.
 * NOTE: `reasons` and `errors` are in policy order (position in the policy set), which makes
 * the output deterministic; Cedar's tests list reasons as a set, so compare them sorted.
 *
 * Writ governance extensions (see governance.ts):
 * - `@mode("shadow")` policies are kept out of the index and evaluated for every request;
 *   each is reported under `shadow` (satisfied or not, with its error) and never changes
 *   `decision`, `reasons`, `errors` or `obligations`;
 * - `determining` lists the policies of `reasons` with their position and `@reason` text;
 * - a satisfied permit's obligations are evaluated (an error makes the policy erroring);
 *   an allow carries the merge of its determining permits' obligations, a deny none.
 */
import type { Span } from "../lang/span.js";
import { assertNever } from "../lang/span.js";
import type { Entities } from "../stdlib/index.js";
import { valueToJson, type JsonValue } from "../stdlib/json.js";
import { EntityUID, EvalError, RecordValue, type Value } from "../stdlib/value.js";
import { mergeObligationValue, policyMode, policyReason } from "./governance.js";
import { genExpr, type Evaluator } from "./codegen.js";
import { entityIn, typeError } from "./codegen-ops.js";
import type { IrPolicy, IrPolicySet, IrScope } from "./ir.js";
import { irEntityKey } from "./ir.js";
import type { Request } from "./request.js";

/** How erroring policies affect the decision. */
export type Semantics = "fail-closed" | "cedar";

/** One erroring policy in a decision. */
export interface DecisionError {
  readonly policy: string;
  readonly code: string;
  readonly message: string;
  /** Span of the failing node in the policy source, when known. */
  readonly span?: Span;
}

/** The answer to a request. */
export interface Decision {
  readonly decision: "allow" | "deny";
  /** Names of the policies that determined the decision, in policy order. */
  readonly reasons: string[];
  /** Every policy whose evaluation errored, in policy order. */
  readonly errors: DecisionError[];
  /** The policies of `reasons` with their position in the policy set and `@reason` text. */
  readonly determining: DeterminingPolicy[];
  /** Merged obligations of the determining permits of an allow (Cedar JSON values); `{}` for a deny. */
  readonly obligations: Record<string, JsonValue>;
  /** Every `@mode("shadow")` policy, in policy order: what it would have said. */
  readonly shadow: ShadowResult[];
}

/** A policy that determined a decision. */
export interface DeterminingPolicy {
  readonly name: string;
  /** Position in the policy set. */
  readonly index: number;
  /** The `@reason` annotation text, when present. */
  readonly reason?: string;
}

/** The outcome of one shadow policy. */
export interface ShadowResult {
  readonly name: string;
  readonly effect: "permit" | "forbid";
  readonly satisfied: boolean;
  /** The evaluation error message, when the policy errored. */
  readonly error?: string;
}

/** One policy evaluated during a decision, as reported to an observer. */
export interface PolicyTrace {
  readonly policy: string;
  readonly effect: "permit" | "forbid";
  readonly outcome: "satisfied" | "not-satisfied" | "error";
}

/**
 * Optional hook receiving every policy evaluated for a request (policies the index skipped
 * are not reported: they cannot apply). Called synchronously; must not throw.
 */
export type DecideObserver = (trace: PolicyTrace) => void;

/** A compiled policy: its test throws `EvalError` when the policy errors. */
interface CompiledPolicy {
  readonly index: number;
  readonly name: string;
  readonly forbid: boolean;
  readonly test: (req: Request, es: Entities) => boolean;
  /** `@reason` text. */
  readonly reason: string | undefined;
  /** Obligation evaluators (satisfied permits only), in source order. */
  readonly obligations: readonly { readonly key: string; readonly f: Evaluator }[] | undefined;
}

/** A compiled policy set. */
export interface CompiledPolicies {
  /** The semantics mode chosen at compile time. */
  readonly semantics: Semantics;
  /** Policy names in policy order. */
  readonly policyNames: readonly string[];
  /** Decide one request. Never throws (an observer that throws is ignored). */
  decide(request: Request, entities: Entities, observer?: DecideObserver): Decision;
}

type Check = (req: Request, es: Entities) => boolean;

function genScope(s: IrScope, v: "principal" | "action" | "resource"): Check | undefined {
  const get = v === "principal" ? (r: Request) => r.principal : v === "action" ? (r: Request) => r.action : (r: Request) => r.resource;
  switch (s.kind) {
    case "any":
      return undefined;
    case "eq": {
      const k = irEntityKey(s.entity);
      return (r) => get(r).key === k;
    }
    case "in": {
      const targets = s.entities.map((e) => new EntityUID(e.type, e.id));
      if (targets.length === 1) {
        const t = targets[0]!;
        return (r, es) => entityIn(get(r), t, es);
      }
      const keys = new Set(targets.map((t) => t.key));
      const list = [...keys];
      return (r, es) => {
        const u = get(r);
        if (keys.has(u.key)) return true;
        const anc = es.ancestors(u);
        if (anc.size === 0) return false;
        for (const k of list) if (anc.has(k)) return true;
        return false;
      };
    }
    case "is": {
      const ty = s.entityType;
      if (s.in === undefined) return (r) => get(r).type === ty;
      const t = new EntityUID(s.in.type, s.in.id);
      return (r, es) => {
        const u = get(r);
        return u.type === ty && entityIn(u, t, es);
      };
    }
    default:
      return assertNever(s, "scope");
  }
}

function genPolicy(p: IrPolicy, index: number): CompiledPolicy {
  const checks = [genScope(p.principal, "principal"), genScope(p.action, "action"), genScope(p.resource, "resource")].filter(
    (c): c is Check => c !== undefined,
  );
  const conds: { f: Evaluator; when: boolean; span: Span | undefined }[] = p.conditions.map((c) => ({
    f: genExpr(c.body),
    when: c.polarity === "when",
    span: c.body.span,
  }));
  const [c0, c1, c2] = checks;
  const scope: Check =
    c0 === undefined ? () => true : c1 === undefined ? c0 : c2 === undefined ? (r, es) => c0(r, es) && c1(r, es) : (r, es) => c0(r, es) && c1(r, es) && c2(r, es);
  let test: Check;
  if (conds.length === 0) test = scope;
  else if (conds.length === 1) {
    const { f, when, span } = conds[0]!;
    test = (r, es) => {
      if (!scope(r, es)) return false;
      const v = f(r, es);
      if (typeof v !== "boolean") throw typeError("Bool", v, span);
      return v === when;
    };
  } else {
    test = (r, es) => {
      if (!scope(r, es)) return false;
      for (const c of conds) {
        const v = c.f(r, es);
        if (typeof v !== "boolean") throw typeError("Bool", v, c.span);
        if (v !== c.when) return false;
      }
      return true;
    };
  }
  const obligations = p.obligations?.map((o) => ({ key: o.key, f: genExpr(o.value) }));
  return { index, name: p.name, forbid: p.effect === "forbid", test, reason: policyReason(p), obligations };
}

/** Policies that may apply to one action, split by principal / resource `==` scope. */
interface Bucket {
  readonly byPrincipal: Map<string, CompiledPolicy[]>;
  readonly byResource: Map<string, CompiledPolicy[]>;
  /** Policies whose scope is `principal in E` (one E), by E's key, then by `resource in F`. */
  readonly byPrincipalIn: Map<string, InGroup>;
  /** Policies whose scope is `resource in E` (one E), by E's key. */
  readonly byResourceIn: Map<string, CompiledPolicy[]>;
  readonly rest: CompiledPolicy[];
}

/** Policies under one `principal in E` key: by `resource in F` key (one F), and the rest. */
interface InGroup {
  readonly byResourceIn: Map<string, CompiledPolicy[]>;
  readonly rest: CompiledPolicy[];
}

const MAX_CACHED_ACTIONS = 4096;

/** The request index: policies by action key, then by principal / resource equality. */
class PolicyIndex {
  private readonly anyAction: IrPolicyEntry[] = [];
  private readonly exact = new Map<string, IrPolicyEntry[]>();
  /** Policies with `action in …`: may match through the action hierarchy. */
  private readonly hierarchical: IrPolicyEntry[] = [];
  /** Buckets for actions with action-group ancestors (`full`) and without (`flat`). */
  private readonly full = new Map<string, Bucket>();
  private readonly flat = new Map<string, Bucket>();

  constructor(entries: readonly IrPolicyEntry[]) {
    for (const en of entries) {
      const a = en.ir.action;
      switch (a.kind) {
        case "eq":
          this.add(irEntityKey(a.entity), en);
          break;
        case "in":
          for (const t of a.entities) this.add(irEntityKey(t), en);
          this.hierarchical.push(en);
          break;
        case "any":
        case "is":
          this.anyAction.push(en);
          break;
        default:
          assertNever(a, "action scope");
      }
    }
  }

  private add(key: string, en: IrPolicyEntry): void {
    const l = this.exact.get(key);
    if (l === undefined) this.exact.set(key, [en]);
    else if (l[l.length - 1] !== en) l.push(en);
  }

  /**
   * The bucket of policies that may apply to `action`. When the action has no ancestors in
   * the store, an `action in …` policy can only match by equality, so the hierarchical
   * policies not listed under its key are left out.
   */
  bucket(action: EntityUID, hasAncestors: boolean): Bucket {
    const key = action.key;
    const cache = hasAncestors ? this.full : this.flat;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const seen = new Set<number>();
    const list: IrPolicyEntry[] = [];
    for (const src of [this.anyAction, this.exact.get(key) ?? [], hasAncestors ? this.hierarchical : []])
      for (const en of src)
        if (!seen.has(en.compiled.index)) {
          seen.add(en.compiled.index);
          list.push(en);
        }
    list.sort((a, b) => a.compiled.index - b.compiled.index);
    const b: Bucket = { byPrincipal: new Map(), byResource: new Map(), byPrincipalIn: new Map(), byResourceIn: new Map(), rest: [] };
    for (const en of list) {
      const { principal, resource } = en.ir;
      if (principal.kind === "eq") push(b.byPrincipal, irEntityKey(principal.entity), en.compiled);
      else if (resource.kind === "eq") push(b.byResource, irEntityKey(resource.entity), en.compiled);
      else if (principal.kind === "in" && principal.entities.length === 1) {
        const pk = irEntityKey(principal.entities[0]!);
        let g = b.byPrincipalIn.get(pk);
        if (g === undefined) b.byPrincipalIn.set(pk, (g = { byResourceIn: new Map(), rest: [] }));
        if (resource.kind === "in" && resource.entities.length === 1) push(g.byResourceIn, irEntityKey(resource.entities[0]!), en.compiled);
        else g.rest.push(en.compiled);
      }
      else if (resource.kind === "in" && resource.entities.length === 1) push(b.byResourceIn, irEntityKey(resource.entities[0]!), en.compiled);
      else b.rest.push(en.compiled);
    }
    if (cache.size < MAX_CACHED_ACTIONS) cache.set(key, b);
    return b;
  }
}

interface IrPolicyEntry {
  readonly ir: IrPolicy;
  readonly compiled: CompiledPolicy;
}

function push(m: Map<string, CompiledPolicy[]>, k: string, p: CompiledPolicy): void {
  const l = m.get(k);
  if (l === undefined) m.set(k, [p]);
  else l.push(p);
}

const EMPTY: readonly CompiledPolicy[] = [];

/**
 * Build the decision function for a lowered policy set: its static and linked `policies`.
 * Templates are not policies (their type has slots, which `IrScope` excludes): an unlinked
 * template is never evaluated. Throws only on a broken IR invariant.
 */
export function buildDecider(ir: IrPolicySet, semantics: Semantics): CompiledPolicies {
  const all: IrPolicyEntry[] = ir.policies.map((p, i) => ({ ir: p, compiled: genPolicy(p, i) }));
  const entries = all.filter((en) => policyMode(en.ir) === "enforce");
  const shadows = all.filter((en) => policyMode(en.ir) === "shadow");
  const index = new PolicyIndex(entries);
  const failClosed = semantics === "fail-closed";
  const policyNames = ir.policies.map((p) => p.name);

  function decide(request: Request, entities: Entities, observer?: DecideObserver): Decision {
    const acc: Acc = { forbids: undefined, permits: undefined, errs: undefined, forbidErrored: false, observer };
    try {
      const { principal, action, resource, context } = request;
      if (!(principal instanceof EntityUID) || !(action instanceof EntityUID) || !(resource instanceof EntityUID) || !(context instanceof RecordValue)) {
        throw new EvalError("W4002", "malformed request: principal, action and resource must be entities and context a record");
      }
      const b = index.bucket(action, entities.ancestors(action).size > 0);
      runList(b.rest, request, entities, acc);
      if (b.byPrincipal.size > 0) runList(b.byPrincipal.get(request.principal.key) ?? EMPTY, request, entities, acc);
      if (b.byResource.size > 0) runList(b.byResource.get(request.resource.key) ?? EMPTY, request, entities, acc);
      if (b.byPrincipalIn.size > 0) runPrincipalIn(b.byPrincipalIn, request, entities, acc);
      if (b.byResourceIn.size > 0) runIn(b.byResourceIn, request.resource, request, entities, acc);
    } catch (e) {
      // Only a malformed request object gets here: deny and report it (policy "").
      const msg = e instanceof EvalError ? e.message : "malformed request";
      return { decision: "deny", reasons: [], errors: [{ policy: "", code: "W4002", message: msg }], determining: [], obligations: {}, shadow: [] };
    }
    const shadow = shadows.length === 0 ? [] : runShadows(shadows, request, entities);
    const { forbids, permits, errs } = acc;
    const errors = errs === undefined ? [] : errs.sort((x, y) => x.p.index - y.p.index).map(({ p, e }) => toError(p.name, e));
    const deny = (list: CompiledPolicy[]): Decision => ({ decision: "deny", reasons: names(list), errors, determining: determining(list), obligations: {}, shadow });
    if (forbids !== undefined) return deny(forbids);
    if (failClosed && acc.forbidErrored) return deny([]);
    if (permits !== undefined) {
      const reasons = names(permits);
      return { decision: "allow", reasons, errors, determining: determining(permits), obligations: mergeAll(permits, acc.values), shadow };
    }
    return deny([]);
  }

  return { semantics, policyNames, decide };
}

/** What one decision accumulates while running policies. */
interface Acc {
  forbids: CompiledPolicy[] | undefined;
  permits: CompiledPolicy[] | undefined;
  errs: { p: CompiledPolicy; e: unknown }[] | undefined;
  forbidErrored: boolean;
  /** Obligation values of satisfied permits that have obligations. */
  values?: Map<CompiledPolicy, Map<string, Value>>;
  readonly observer: DecideObserver | undefined;
}

function notify(acc: Acc, p: CompiledPolicy, outcome: PolicyTrace["outcome"]): void {
  try {
    acc.observer!({ policy: p.name, effect: p.forbid ? "forbid" : "permit", outcome });
  } catch {
    // NOTE: an observer cannot change or break a decision.
  }
}

/** Run each policy once, catching its error (the one place evaluation errors are caught). */
function runList(list: readonly CompiledPolicy[], request: Request, entities: Entities, acc: Acc): void {
  for (let i = 0; i < list.length; i++) {
    const p = list[i]!;
    let ok: boolean;
    try {
      ok = p.test(request, entities);
      if (ok && p.obligations !== undefined) (acc.values ??= new Map()).set(p, evalObligations(p.obligations, request, entities));
    } catch (e) {
      (acc.errs ??= []).push({ p, e });
      if (p.forbid) acc.forbidErrored = true;
      if (acc.observer !== undefined) notify(acc, p, "error");
      continue;
    }
    if (acc.observer !== undefined) notify(acc, p, ok ? "satisfied" : "not-satisfied");
    if (ok) {
      if (p.forbid) (acc.forbids ??= []).push(p);
      else (acc.permits ??= []).push(p);
    }
  }
}

/**
 * Run the policies indexed under `u` itself and under each of its ancestors.
 * INVARIANT: each policy sits under exactly one key, so none runs twice.
 */
function runIn(m: Map<string, CompiledPolicy[]>, u: EntityUID, request: Request, entities: Entities, acc: Acc): void {
  const own = m.get(u.key);
  if (own !== undefined) runList(own, request, entities, acc);
  const anc = entities.ancestors(u);
  if (anc.size === 0) return;
  if (anc.size <= m.size) {
    for (const k of anc) {
      const l = m.get(k);
      if (l !== undefined) runList(l, request, entities, acc);
    }
  } else {
    for (const [k, l] of m) if (anc.has(k)) runList(l, request, entities, acc);
  }
}

/** Like `runIn` for the principal, descending into each matching group's resource index. */
function runPrincipalIn(m: Map<string, InGroup>, request: Request, entities: Entities, acc: Acc): void {
  const u = request.principal;
  const own = m.get(u.key);
  if (own !== undefined) runGroup(own, request, entities, acc);
  const anc = entities.ancestors(u);
  if (anc.size === 0) return;
  if (anc.size <= m.size) {
    for (const k of anc) {
      const g = m.get(k);
      if (g !== undefined) runGroup(g, request, entities, acc);
    }
  } else {
    for (const [k, g] of m) if (anc.has(k)) runGroup(g, request, entities, acc);
  }
}

function runGroup(g: InGroup, request: Request, entities: Entities, acc: Acc): void {
  if (g.rest.length > 0) runList(g.rest, request, entities, acc);
  if (g.byResourceIn.size > 0) runIn(g.byResourceIn, request.resource, request, entities, acc);
}

/** Evaluate a satisfied permit's obligations (throws EvalError: the policy errors). */
function evalObligations(obs: NonNullable<CompiledPolicy["obligations"]>, request: Request, entities: Entities): Map<string, Value> {
  const m = new Map<string, Value>();
  for (const o of obs) m.set(o.key, o.f(request, entities));
  return m;
}

/** Merge the obligations of the determining permits (sorted by index) into Cedar JSON values. */
function mergeAll(permits: readonly CompiledPolicy[], values: Map<CompiledPolicy, Map<string, Value>> | undefined): Record<string, JsonValue> {
  if (values === undefined) return {};
  const merged = new Map<string, Value>();
  if (values !== undefined) {
    for (const p of permits) {
      const vs = values.get(p);
      if (vs === undefined) continue;
      for (const [k, v] of vs) {
        const prev = merged.get(k);
        if (prev === undefined) merged.set(k, v);
        else {
          // NOTE: a schema rules out unmergeable values (W6005, W3004); without one, the first determining permit's value stays.
          try {
            merged.set(k, mergeObligationValue(prev, v));
          } catch {
            // keep `prev`
          }
        }
      }
    }
  }
  const out: Record<string, JsonValue> = {};
  for (const k of [...merged.keys()].sort()) Object.defineProperty(out, k, { value: valueToJson(merged.get(k)!), enumerable: true, writable: true, configurable: true });
  return out;
}

/** The determining entries of a (sorted) list of policies. */
function determining(list: readonly CompiledPolicy[]): DeterminingPolicy[] {
  return list.map((p) => (p.reason === undefined ? { name: p.name, index: p.index } : { name: p.name, index: p.index, reason: p.reason }));
}

/** Evaluate every shadow policy (obligations are not evaluated: a shadow policy determines nothing). */
function runShadows(list: readonly IrPolicyEntry[], request: Request, entities: Entities): ShadowResult[] {
  return list.map(({ compiled: p }) => {
    const effect = p.forbid ? "forbid" : "permit";
    try {
      return { name: p.name, effect, satisfied: p.test(request, entities) };
    } catch (e) {
      return { name: p.name, effect, satisfied: false, error: toError(p.name, e).message };
    }
  });
}

function names(list: CompiledPolicy[]): string[] {
  if (list.length > 1 && !inOrder(list)) list.sort((a, b) => a.index - b.index);
  return list.map((p) => p.name);
}

/** Are the policies already in policy order? (Lists are usually built in order.) */
function inOrder(list: readonly CompiledPolicy[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i - 1]!.index > list[i]!.index) return false;
  return true;
}

function toError(policy: string, e: unknown): DecisionError {
  if (e instanceof EvalError) {
    return e.span === undefined ? { policy, code: e.code, message: e.message } : { policy, code: e.code, message: e.message, span: e.span };
  }
  if (e instanceof RangeError) return { policy, code: "W4007", message: "evaluation limit exceeded" };
  return { policy, code: "W4002", message: "evaluation failed" };
}
