/**
 * Policy validation against a schema, with Cedar's strict-mode verdict: any
 * error diagnostic means "does not validate".
 *
 * Per policy: (1) every entity type, action and enum entity named in the policy
 * must exist (W3001, W3002, W3015); (2) the policy is type-checked once per
 * request environment (principal type, action, resource type) the schema
 * allows. The scope is typed like Cedar's condition `scope && when && !unless`:
 * where the scope is `False` the body is not checked. A policy whose scope
 * matches no environment gets the warning W3005, a policy that is `False` in
 * every environment the warning W3016 (Cedar reports both as warnings).
 */
import { exprChildren, type Expr, type Policy, type PolicySet, type Scope } from "../lang/ast.js";
import { diag, didYouMeanHelp, type Diagnostic } from "../lang/diagnostics.js";
import type { Span } from "../lang/span.js";
import { assertNever } from "../lang/span.js";
import {
  actionIdsOfType,
  actionInfo,
  actionIsIn,
  allEntityTypeNames,
  entityTypeInfo,
  isActionType,
  isEnumValue,
  isKnownEntityType,
  mayBeIn,
  sortedActionKeys,
  uidKey,
  type RequestEnv,
  type Schema,
} from "./schema-model.js";
import { andTypes, expectType, isFalse, negate } from "./typecheck.js";
import { validateLinks } from "./templates.js";
import { nameOf, NO_CAPS, type Caps, type CheckContext } from "./typecheck-env.js";
import { BOOL, FALSE, lookup, showType, TRUE, type Type } from "./types.js";

/** Result of `validatePolicies`. */
export interface ValidateResult {
  /** W3xxx diagnostics; any error means the policies do not validate. */
  readonly diagnostics: Diagnostic[];
  /** Side table: the type of each expression node (first environment that checked it); empty unless `collectTypes`. */
  readonly types: Map<Expr, Type>;
}

/** Options of `validatePolicies`. */
export interface ValidateOptions {
  /** Fill the `types` side table (for editors); off by default to keep bulk validation fast. */
  readonly collectTypes?: boolean;
}

/**
 * Validate every policy and template of a set against a loaded schema, and each link of the
 * set (its template with the slots filled, see `templates.ts`). Never throws on user input.
 */
export function validatePolicies(policies: PolicySet, schema: Schema, options: ValidateOptions = {}): ValidateResult {
  const diagnostics: Diagnostic[] = [];
  const types = new Map<Expr, Type>();
  const sideTable = options.collectTypes === true ? types : undefined;
  // NOTE: loops, not `push(...list)`: a spread of a very long list overflows the call stack.
  for (const p of policies.policies) for (const d of validatePolicy(p, schema, sideTable)) diagnostics.push(d);
  for (const d of validateLinks(policies, (p) => validatePolicy(p, schema, undefined))) diagnostics.push(d);
  return { diagnostics, types };
}

/**
 * The checker's types of every expression node of one policy, over every request
 * environment the schema allows (for editors: hover, inline types). Each node maps to its
 * distinct types in environment order (`principal` may be `User` in one environment and
 * `Admin` in another). A node the checker gave no type is absent: it has an error, it is
 * never evaluated (`false && e`), or the policy's scope matches no environment. Keyed by
 * the very AST nodes of `policy`. Never throws on user input.
 */
export function policyTypes(policy: Policy, schema: Schema): Map<Expr, readonly Type[]> {
  const out = new Map<Expr, Type[]>();
  validatePolicy(policy, schema, undefined, (one) => {
    for (const [e, t] of one) {
      const seen = out.get(e);
      if (seen === undefined) out.set(e, [t]);
      else if (!seen.some((s) => showType(s) === showType(t))) seen.push(t);
    }
  });
  return out;
}

/** Walk every sub-expression of `e` (pre-order). */
export function forEachExpr(e: Expr, fn: (e: Expr) => void): void {
  fn(e);
  for (const c of exprChildren(e)) forEachExpr(c, fn);
}

/** Check that the names used by a policy exist in the schema (W3001, W3002, W3015). */
function checkNames(p: Policy, schema: Schema, out: Diagnostic[]): void {
  const checkType = (type: string, span: Span): boolean => {
    if (isKnownEntityType(schema, type)) return true;
    out.push(diag("W3001", `unknown entity type \`${type}\``, span, didYouMeanHelp(type, allEntityTypeNames(schema))));
    return false;
  };
  const checkRef = (type: string, id: string, span: Span, mustBeAction: boolean): void => {
    if (!checkType(type, span)) return;
    const key = uidKey(type, id);
    if (isActionType(schema, type)) {
      if (actionInfo(schema, key) === undefined) {
        const m = didYouMeanHelp(id, actionIdsOfType(schema, type));
        out.push(diag("W3002", `unknown action \`${key}\``, span, m === undefined ? undefined : m.replace(/`([^`]*)`/, (_s, x: string) => `\`${uidKey(type, x)}\``)));
      }
      return;
    }
    if (mustBeAction) {
      out.push(diag("W3002", `\`${key}\` is not an action`, span));
      return;
    }
    if (!isEnumValue(schema, type, id))
      out.push(diag("W3015", `\`${key}\` is not one of the values of the enumerated entity type \`${type}\``, span, didYouMeanHelp(id, entityTypeInfo(schema, type)?.enumValues ?? [])));
  };
  const scope = (s: Scope): void => {
    const c = s.constraint;
    const isAction = s.variable === "action";
    switch (c.kind) {
      case "any":
        return;
      case "eq":
      case "in":
        if (c.target.kind === "entityRef") checkRef(nameOf(c.target.type.path), c.target.id, c.target.span, isAction);
        return;
      case "inList":
        // As Cedar's validator: an empty set literal is refused everywhere, the action scope included.
        if (c.targets.length === 0) out.push(diag("W3013", "empty set literals are not allowed: `action in []` matches no action", s.span, "list the actions, or remove the policy"));
        for (const t of c.targets) checkRef(nameOf(t.type.path), t.id, t.span, isAction);
        return;
      case "is":
        checkType(nameOf(c.entityType.path), c.entityType.span);
        if (c.in !== undefined && c.in.kind === "entityRef") checkRef(nameOf(c.in.type.path), c.in.id, c.in.span, false);
        return;
      default:
        assertNever(c, "scope constraint");
    }
  };
  scope(p.principal);
  scope(p.action);
  scope(p.resource);
  for (const body of [...p.conditions.map((c) => c.body), ...(p.obligations ?? []).map((o) => o.value)])
    forEachExpr(body, (e) => {
      if (e.kind === "entity") checkRef(nameOf(e.ref.type.path), e.ref.id, e.ref.span, false);
      else if (e.kind === "is") checkType(nameOf(e.entityType.path), e.entityType.span);
    });
}

/** The type of the action scope for the action `key`: `True`, `False` or `Bool`. */
function actionScopeType(s: Scope, key: string, schema: Schema): Type {
  const c = s.constraint;
  switch (c.kind) {
    case "any":
      return TRUE;
    case "eq":
      return c.target.kind === "entityRef" && uidKey(nameOf(c.target.type.path), c.target.id) === key ? TRUE : FALSE;
    case "in":
      return c.target.kind === "entityRef" && actionIsIn(schema, key, uidKey(nameOf(c.target.type.path), c.target.id)) ? TRUE : FALSE;
    case "inList":
      return c.targets.some((t) => actionIsIn(schema, key, uidKey(nameOf(t.type.path), t.id))) ? TRUE : FALSE;
    case "is":
      return BOOL;
    default:
      return assertNever(c, "scope constraint");
  }
}

/** The type of the principal or resource scope for an entity of type `v`: `True`, `False` or `Bool`. */
function entityScopeType(s: Scope, v: string, schema: Schema): Type {
  const c = s.constraint;
  const within = (target: { kind: "entityRef"; type: { path: readonly string[] } } | { kind: "slot" }): Type =>
    target.kind === "slot" ? BOOL : mayBeIn(schema, v, nameOf(target.type.path)) ? BOOL : FALSE;
  switch (c.kind) {
    case "any":
      return TRUE;
    case "eq":
      return c.target.kind === "slot" ? BOOL : nameOf(c.target.type.path) === v ? BOOL : FALSE;
    case "in":
      return within(c.target);
    case "is":
      if (nameOf(c.entityType.path) !== v) return FALSE;
      return c.in === undefined ? TRUE : within(c.in);
    case "inList":
      return BOOL;
    default:
      return assertNever(c, "scope constraint");
  }
}

/**
 * The request environments (in {@link eachRequestEnv}'s order) where the scope of `p` is not
 * `False`, each with that scope. The number of environments is a product (principal types ×
 * resource types per action); each scope part is computed once per action, principal type or
 * resource type, and only the combinations that survive are visited, so a narrow scope over a
 * schema allowing millions of environments costs little.
 */
function* scopedEnvs(p: Policy, schema: Schema, report: (d: Diagnostic) => void, listError: Diagnostic | undefined): Generator<{ readonly env: RequestEnv; readonly scope: Type }> {
  for (const key of sortedActionKeys(schema)) {
    const action = schema.actions[key]!;
    const at = action.appliesTo;
    if (at === undefined || at.resources.length === 0) continue;
    const actionScope = actionScopeType(p.action, key, schema);
    const resources = at.resources.map((resource) => ({ resource, scope: entityScopeType(p.resource, resource, schema) })).filter((r) => !isFalse(r.scope));
    for (const principal of at.principals) {
      const principalScope = entityScopeType(p.principal, principal, schema);
      if (listError !== undefined && !isFalse(principalScope)) report(listError);
      const head = andTypes(principalScope, actionScope);
      if (isFalse(head)) continue;
      for (const r of resources) yield { env: { principal, action, resource: r.resource, context: at.context }, scope: andTypes(head, r.scope) };
    }
  }
}

/**
 * Check one policy in every request environment its scope allows. `types` collects the
 * types by node (the last environment's win); `perEnv`, when given, receives a fresh table
 * for each environment instead.
 */
function validatePolicy(p: Policy, schema: Schema, types: Map<Expr, Type> | undefined, perEnv?: (types: Map<Expr, Type>) => void): Diagnostic[] {
  const out: Diagnostic[] = [];
  checkNames(p, schema, out);
  const seen = new Set(out.map(dedupKey));
  const sink = (d: Diagnostic): void => {
    const k = dedupKey(d);
    if (seen.has(k)) return;
    seen.add(k);
    out.push(d);
  };
  let applicable = 0;
  let allFalse = true;
  const listError = actionListError(p.action);
  for (const { env, scope } of scopedEnvs(p, schema, (d) => sink(d), listError)) {
    applicable++;
    const table = perEnv === undefined ? types : new Map<Expr, Type>();
    const ctx: CheckContext = table === undefined ? { schema, env, report: sink } : { schema, env, report: sink, types: table };
    let acc: Type = scope;
    let caps: Caps = NO_CAPS;
    // One set owned here and grown in place: a union per condition would copy it each time (quadratic in the conditions).
    let owned: Set<string> | undefined;
    let failed = false;
    for (const c of p.conditions) {
      const r = expectType(ctx, c.body, caps, BOOL);
      if (r.type === undefined) {
        failed = true;
        continue;
      }
      const t = c.polarity === "when" ? r.type : negate(r.type);
      if (isFalse(t)) {
        acc = FALSE;
        break;
      }
      acc = andTypes(acc, t);
      if (c.polarity === "when" && r.caps.size > 0) {
        if (owned === undefined) caps = owned = new Set(caps);
        for (const k of r.caps) owned.add(k);
      }
    }
    if (!failed && !isFalse(acc)) checkObligations(p, schema, ctx, caps);
    if (failed || !isFalse(acc)) allFalse = false;
    if (perEnv !== undefined && table !== undefined) perEnv(table);
  }
  checkObligationNames(p, schema, out);
  if (applicable === 0)
    out.push({
      ...diag("W3005", "this policy applies to no request the schema allows: no action matches its scope for these principal and resource types", p.span),
      severity: "warning",
    });
  else if (allFalse) out.push(diag("W3016", "this policy is always false for every request the schema allows", p.span));
  return out;
}

/** W6004 for every obligation key the schema does not declare. */
function checkObligationNames(p: Policy, schema: Schema, out: Diagnostic[]): void {
  for (const o of p.obligations ?? []) {
    if (lookup(schema.obligations ?? {}, o.key) !== undefined) continue;
    const declared = Object.keys(schema.obligations ?? {});
    const help = didYouMeanHelp(o.key, declared) ?? (declared.length === 0 ? "declare it in the schema: `obligation " + o.key + ": Bool;`" : undefined);
    out.push(diag("W6004", `unknown obligation \`${o.key}\``, o.span, help));
  }
}

/** Type-check each declared obligation value against its declared type (W3004), under the conditions' capabilities. */
function checkObligations(p: Policy, schema: Schema, ctx: CheckContext, caps: Caps): void {
  for (const o of p.obligations ?? []) {
    const t = lookup(schema.obligations ?? {}, o.key);
    if (t === undefined) continue;
    expectType(ctx, o.value, caps, t, `${showType(t)} for obligation \`${o.key}\``);
  }
}

/** `action in [A::Action::"x", B::Action::"y"]` is a set literal: in strict mode its elements need one entity type. */
function actionListError(s: Scope): Diagnostic | undefined {
  const c = s.constraint;
  if (c.kind !== "inList" || c.targets.length < 2) return undefined;
  const first = nameOf(c.targets[0]!.type.path);
  const other = c.targets.find((t) => nameOf(t.type.path) !== first);
  if (other === undefined) return undefined;
  return diag("W3010", `the actions of \`action in [...]\` must all have the same type, found \`${first}\` and \`${nameOf(other.type.path)}\``, other.span);
}

function dedupKey(d: Diagnostic): string {
  return `${d.code}:${d.span.start}:${d.span.end}:${d.message}`;
}
