/**
 * Cedar's JSON policy format (the "EST"), read into the policy AST the parser produces, so
 * that validation, lowering, ids and the printer treat both forms alike.
 *
 * Accepted: a policy set `{ "staticPolicies": {name: policy}, "templates": {name: policy},
 * "templateLinks": [{ "templateId", "newId", "values": {"?principal": uid} }] }` (each key
 * optional), or one policy object (named `policy0`). A policy is `{ "effect", "principal",
 * "action", "resource", "conditions", "annotations"? }` with Cedar's scope and expression
 * objects; Writ's extensions add `"obligations": {key: expr}`, `{"Var": "lineage"}`,
 * `{"any"|"all": {"left", "variable", "body"}}` and `{"Var": x}` for a bound variable.
 *
 * Names. Writ names a policy by its `@id` annotation, else `policyN` by position. A policy
 * keyed `policyN` without `@id` is placed at position N when it can be (so text → JSON → text
 * keeps every name and id); any other key without an `@id` becomes an `@id` annotation with
 * that name. A key that differs from the policy's `@id` is W1041.
 *
 * Problems are W1040 (W1013 for a slot in a condition), with a JSON-pointer path in the
 * message. Nodes carry the span `options.locate` gives their policy or link, else `{0, 0}`.
 * Never throws.
 */
import type { Annotation, EntityRef, Expr, LinkDecl, Name, PatternElem, Policy, PolicySet, RecordEntry, Scope, ScopeConstraint, SlotRef } from "../lang/ast.js";
import { diag, type Diagnostic } from "../lang/diagnostics.js";
import type { Span } from "../lang/span.js";
import { builtinConstructor, builtinMethod, isValidTypeName, type JsonValue } from "../stdlib/index.js";
import { BINARY_METHODS, UNARY_METHODS, isPlainIdent } from "./policy-json-write.js";
import { isTemplate } from "./templates.js";

/** Result of {@link policySetFromJson} and {@link linksFromJson}. */
export interface PolicyJsonResult<T> {
  readonly value: T | undefined;
  readonly diagnostics: Diagnostic[];
}

/** Where the JSON sections are in their text, to locate diagnostics (see `offsetOfKey` in the CLI). */
export interface PolicyJsonOptions {
  /** The span of the entry `key` of `section` (`staticPolicies`, `templates`, `templateLinks` with the link's name, or `""` for a links file). */
  readonly locate?: (section: string, key: string) => Span;
}

const NO_SPAN: Span = { start: 0, end: 0 };
const MAX_DEPTH = 1000;
const VARS = new Set(["principal", "action", "resource", "context", "lineage"]);
const BINARY_OPS = new Set(["==", "!=", "in", "<", "<=", ">", ">=", "&&", "||", "+", "-", "*"]);

class JsonShape {
  constructor(
    readonly path: string,
    readonly message: string,
    readonly code: "W1040" | "W1013" | "W1041" = "W1040",
  ) {}
}

type Obj = { readonly [key: string]: JsonValue };

function isObj(x: JsonValue | undefined): x is Obj {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function describe(x: JsonValue | undefined): string {
  if (x === undefined) return "nothing";
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  return typeof x === "object" ? "an object" : `${typeof x === "bigint" ? "number" : typeof x} ${typeof x === "bigint" ? x.toString() : JSON.stringify(x)}`;
}

/** One policy's reader: every node gets `span`; bound variables in scope are tracked. */
class Reader {
  private readonly bound: string[] = [];

  constructor(private readonly span: Span) {}

  fail(path: string, message: string): never {
    throw new JsonShape(path, message);
  }

  obj(x: JsonValue | undefined, path: string, required: readonly string[], optional: readonly string[] = []): Obj {
    if (!isObj(x)) this.fail(path, `expected an object, found ${describe(x)}`);
    for (const k of required) if (x[k] === undefined) this.fail(path, `missing \`${k}\``);
    for (const k of Object.keys(x)) if (!required.includes(k) && !optional.includes(k)) this.fail(path, `unexpected key \`${k}\``);
    return x;
  }

  /** An object with any keys. */
  dict(x: JsonValue | undefined, path: string): Obj {
    if (!isObj(x)) this.fail(path, `expected an object, found ${describe(x)}`);
    return x;
  }

  str(x: JsonValue | undefined, path: string): string {
    if (typeof x !== "string") this.fail(path, `expected a string, found ${describe(x)}`);
    return x;
  }

  name(text: string, path: string): Name {
    if (!isValidTypeName(text)) this.fail(path, `\`${text}\` is not a valid name`);
    return { kind: "name", path: text.split("::"), span: this.span };
  }

  entity(x: JsonValue | undefined, path: string): EntityRef {
    const o = isObj(x) && x["__entity"] !== undefined ? this.obj(x, path, ["__entity"])["__entity"] : x;
    const e = this.obj(o, path, ["type", "id"]);
    return { kind: "entityRef", type: this.name(this.str(e["type"], `${path}/type`), `${path}/type`), id: this.str(e["id"], `${path}/id`), span: this.span };
  }

  policy(x: JsonValue, path: string, anns: Annotation[]): Policy {
    const o = this.obj(x, path, ["effect", "principal", "action", "resource", "conditions"], ["annotations", "obligations"]);
    const effect = o["effect"];
    if (effect !== "permit" && effect !== "forbid") this.fail(`${path}/effect`, 'expected "permit" or "forbid"');
    if (o["annotations"] !== undefined) {
      const a = this.dict(o["annotations"], `${path}/annotations`);
      for (const [k, v] of Object.entries(a)) {
        if (!isPlainIdent(k, true)) this.fail(`${path}/annotations`, `\`${k}\` is not a valid annotation name`);
        if (v !== null && typeof v !== "string") this.fail(`${path}/annotations/${k}`, `expected a string or null, found ${describe(v)}`);
        anns.push({ kind: "annotation", name: k, value: v ?? undefined, span: this.span });
      }
    }
    const conds = o["conditions"];
    if (!Array.isArray(conds)) this.fail(`${path}/conditions`, `expected an array, found ${describe(conds)}`);
    const conditions = conds.map((c, i) => {
      const p = `${path}/conditions/${i}`;
      const co = this.obj(c, p, ["kind", "body"]);
      const kind = co["kind"];
      if (kind !== "when" && kind !== "unless") this.fail(`${p}/kind`, 'expected "when" or "unless"');
      return { kind: "condition" as const, polarity: kind as "when" | "unless", body: this.expr(co["body"], `${p}/body`, 0), span: this.span };
    });
    const obligations = o["obligations"] === undefined ? undefined : this.entries(o["obligations"], `${path}/obligations`, 0);
    return {
      kind: "policy",
      annotations: anns,
      effect,
      principal: this.scope(o["principal"], `${path}/principal`, "principal"),
      action: this.scope(o["action"], `${path}/action`, "action"),
      resource: this.scope(o["resource"], `${path}/resource`, "resource"),
      conditions,
      ...(obligations === undefined ? {} : { obligations, obligationsSpan: this.span }),
      span: this.span,
    };
  }

  /** `{"entity": uid}` or (principal and resource) `{"slot": "?principal"}`. */
  target(o: Obj, path: string, variable: Scope["variable"]): EntityRef | SlotRef {
    if (o["slot"] !== undefined) {
      if (variable === "action" || o["slot"] !== `?${variable}`) this.fail(`${path}/slot`, variable === "action" ? "the action scope has no slot" : `expected "?${variable}"`);
      return { kind: "slot", slot: variable, span: this.span };
    }
    return this.entity(o["entity"], `${path}/entity`);
  }

  scope(x: JsonValue | undefined, path: string, variable: Scope["variable"]): Scope {
    const o = this.obj(x, path, ["op"], ["entity", "entities", "slot", "entity_type", "in"]);
    const op = o["op"];
    const keys = (...ks: string[]): void => void this.obj(o, path, ["op", ...ks]);
    let constraint: ScopeConstraint;
    if (op === "All") {
      keys();
      constraint = { kind: "any" };
    } else if (op === "==" || op === "in") {
      if (op === "in" && variable === "action" && o["entities"] !== undefined) {
        keys("entities");
        const es = o["entities"];
        if (!Array.isArray(es)) this.fail(`${path}/entities`, `expected an array, found ${describe(es)}`);
        constraint = { kind: "inList", targets: es.map((e, i) => this.entity(e, `${path}/entities/${i}`)) };
      } else {
        keys(o["slot"] !== undefined ? "slot" : "entity");
        constraint = { kind: op === "==" ? "eq" : "in", target: this.target(o, path, variable) };
      }
    } else if (op === "is" && variable !== "action") {
      this.obj(o, path, ["op", "entity_type"], ["in"]);
      const entityType = this.name(this.str(o["entity_type"], `${path}/entity_type`), `${path}/entity_type`);
      const inner = o["in"] === undefined ? undefined : this.obj(o["in"], `${path}/in`, [], ["entity", "slot"]);
      constraint = { kind: "is", entityType, in: inner === undefined ? undefined : this.target(inner, `${path}/in`, variable) };
    } else this.fail(`${path}/op`, variable === "action" ? 'expected "All", "==" or "in"' : 'expected "All", "==", "in" or "is"');
    return { kind: "scope", variable, constraint, span: this.span };
  }

  entries(x: JsonValue | undefined, path: string, depth: number): RecordEntry[] {
    const o = this.dict(x, path);
    return Object.entries(o).map(([key, v]) => ({ kind: "recordEntry", key, quoted: !isPlainIdent(key, false), value: this.expr(v, `${path}/${key}`, depth + 1), span: this.span }));
  }

  /** A Cedar JSON value (`Value`): literals, `__entity`, `__extn`, sets, records. */
  value(x: JsonValue, path: string, depth: number): Expr {
    const span = this.span;
    if (depth > MAX_DEPTH) this.fail(path, "nested too deeply");
    if (typeof x === "boolean") return { kind: "bool", value: x, span };
    if (typeof x === "string") return { kind: "string", value: x, span };
    if (typeof x === "bigint" || typeof x === "number") {
      const n = typeof x === "bigint" ? x : Number.isInteger(x) ? BigInt(x) : undefined;
      if (n === undefined || n < -(2n ** 63n) || n > 2n ** 63n - 1n) this.fail(path, `expected a 64-bit integer, found ${describe(x)}`);
      return { kind: "long", value: n, span };
    }
    if (x === null) this.fail(path, "null is not a Cedar value");
    if (!isObj(x)) return { kind: "set", elements: x.map((e, i) => this.value(e, `${path}/${i}`, depth + 1)), span };
    if (x["__entity"] !== undefined) return { kind: "entity", ref: this.entity(x, path), span };
    if (x["__extn"] !== undefined) {
      const f = this.obj(this.obj(x, path, ["__extn"])["__extn"], `${path}/__extn`, ["fn"], ["arg", "args"]);
      const fn = this.str(f["fn"], `${path}/__extn/fn`);
      const raw = f["args"] ?? (f["arg"] === undefined ? this.fail(`${path}/__extn`, "missing `arg` or `args`") : [f["arg"]]);
      if (!Array.isArray(raw)) this.fail(`${path}/__extn/args`, `expected an array, found ${describe(raw)}`);
      return this.call(fn, raw.map((a, i) => this.value(a, `${path}/__extn/args/${i}`, depth + 1)), path);
    }
    return { kind: "record", entries: Object.entries(x).map(([key, v]) => ({ kind: "recordEntry", key, quoted: !isPlainIdent(key, false), value: this.value(v, `${path}/${key}`, depth + 1), span })), span };
  }

  /** A function call `fn(args)`, or a method call `args[0].fn(args[1..])` when `fn` is a method. */
  call(fn: string, args: readonly Expr[], path: string): Expr {
    const span = this.span;
    if (builtinConstructor(fn) === undefined && builtinMethod(fn) !== undefined) {
      const [target, ...rest] = args;
      if (target === undefined) this.fail(path, `method \`${fn}\` needs its receiver as the first argument`);
      return { kind: "method", target, name: fn, args: rest, span };
    }
    return { kind: "call", fn: this.name(fn, path), args, span };
  }

  expr(x: JsonValue | undefined, path: string, depth: number): Expr {
    if (depth > MAX_DEPTH) this.fail(path, "nested too deeply");
    if (!isObj(x) || Object.keys(x).length !== 1) this.fail(path, `expected an object with one key, found ${describe(x)}`);
    const [key, v] = Object.entries(x)[0]!;
    const span = this.span;
    const p = `${path}/${key}`;
    const sub = (y: JsonValue | undefined, at: string): Expr => this.expr(y, at, depth + 1);
    const bin = (): [Expr, Expr] => {
      const o = this.obj(v, p, ["left", "right"]);
      return [sub(o["left"], `${p}/left`), sub(o["right"], `${p}/right`)];
    };
    switch (key) {
      case "Value":
        return this.value(v, p, depth + 1);
      case "Var": {
        const name = this.str(v, p);
        if (VARS.has(name)) return { kind: "var", name: name as Extract<Expr, { kind: "var" }>["name"], span };
        if (this.bound.includes(name)) return { kind: "boundVar", name, span };
        return this.fail(p, `unknown variable \`${name}\``);
      }
      case "Slot":
        throw new JsonShape(p, "a template slot may only appear in the principal or resource scope", "W1013");
      case "Unknown":
        return this.fail(p, "unknowns (partial evaluation residuals) are not supported");
      case "!":
      case "neg":
        return { kind: "unary", op: key === "!" ? "!" : "-", operand: sub(this.obj(v, p, ["arg"])["arg"], `${p}/arg`), span };
      case ".": {
        const o = this.obj(v, p, ["left", "attr"]);
        const attr = this.str(o["attr"], `${p}/attr`);
        return { kind: "getAttr", target: sub(o["left"], `${p}/left`), attr, syntax: isPlainIdent(attr, false) ? "dot" : "index", span };
      }
      case "has":
        return this.has(v, p, depth);
      case "like": {
        const o = this.obj(v, p, ["left", "pattern"]);
        return { kind: "like", target: sub(o["left"], `${p}/left`), pattern: this.pattern(o["pattern"], `${p}/pattern`), span };
      }
      case "is": {
        const o = this.obj(v, p, ["left", "entity_type"], ["in"]);
        const entityType = this.name(this.str(o["entity_type"], `${p}/entity_type`), `${p}/entity_type`);
        return { kind: "is", target: sub(o["left"], `${p}/left`), entityType, in: o["in"] === undefined ? undefined : sub(o["in"], `${p}/in`), span };
      }
      case "if-then-else": {
        const o = this.obj(v, p, ["if", "then", "else"]);
        return { kind: "if", cond: sub(o["if"], `${p}/if`), then: sub(o["then"], `${p}/then`), else: sub(o["else"], `${p}/else`), span };
      }
      case "Set":
        if (!Array.isArray(v)) this.fail(p, `expected an array, found ${describe(v)}`);
        return { kind: "set", elements: v.map((e, i) => sub(e, `${p}/${i}`)), span };
      case "Record":
        return { kind: "record", entries: this.entries(v, p, depth), span };
      case "any":
      case "all":
        if (!Array.isArray(v)) return this.quantifier(key, v, p, depth);
        break;
    }
    if (BINARY_OPS.has(key)) {
      const [left, right] = bin();
      return { kind: "binary", op: key as Extract<Expr, { kind: "binary" }>["op"], left, right, span };
    }
    if (BINARY_METHODS.has(key) && !Array.isArray(v)) {
      const [left, right] = bin();
      return { kind: "method", target: left, name: key, args: [right], span };
    }
    if (UNARY_METHODS.has(key) && !Array.isArray(v)) return { kind: "method", target: sub(this.obj(v, p, ["arg"])["arg"], `${p}/arg`), name: key, args: [], span };
    if (!Array.isArray(v)) this.fail(p, `unknown operator \`${key}\` (a function or method call takes an array of arguments)`);
    return this.call(key, v.map((a, i) => sub(a, `${p}/${i}`)), p);
  }

  /** `has` with one attribute, or a path (`["a", "b"]`); a path that text cannot write as `e has a.b` is spelled out as a conjunction (the same IR). */
  has(v: JsonValue | undefined, p: string, depth: number): Expr {
    const span = this.span;
    const o = this.obj(v, p, ["left", "attr"]);
    const a = o["attr"];
    const path = Array.isArray(a) ? a.map((s, i) => this.str(s, `${p}/attr/${i}`)) : [this.str(a, `${p}/attr`)];
    if (path.length === 0) this.fail(`${p}/attr`, "expected at least one attribute");
    const target = this.expr(o["left"], `${p}/left`, depth + 1);
    if (path.length === 1 || path.every((s) => isPlainIdent(s, false)))
      return { kind: "has", target, path, quoted: path.map((s) => !isPlainIdent(s, false)), span };
    let result: Expr | undefined;
    let cur = target;
    for (const attr of path) {
      const quoted = !isPlainIdent(attr, false);
      const test: Expr = { kind: "has", target: cur, path: [attr], quoted: [quoted], span };
      result = result === undefined ? test : { kind: "binary", op: "&&", left: result, right: test, span };
      cur = { kind: "getAttr", target: cur, attr, syntax: quoted ? "index" : "dot", span };
    }
    return result!;
  }

  pattern(x: JsonValue | undefined, path: string): PatternElem[] {
    if (!Array.isArray(x)) this.fail(path, `expected an array of "Wildcard" and {"Literal": "…"}, found ${describe(x)}`);
    return x.map((el, i) => {
      if (el === "Wildcard") return { kind: "wildcard" };
      return { kind: "literal", text: this.str(this.obj(el, `${path}/${i}`, ["Literal"])["Literal"], `${path}/${i}/Literal`) };
    });
  }

  quantifier(q: "any" | "all", v: JsonValue | undefined, p: string, depth: number): Expr {
    const o = this.obj(v, p, ["left", "variable", "body"]);
    const variable = this.str(o["variable"], `${p}/variable`);
    if (!isPlainIdent(variable, false) || VARS.has(variable)) this.fail(`${p}/variable`, `\`${variable}\` cannot name a bound variable`);
    const target = this.expr(o["left"], `${p}/left`, depth + 1);
    this.bound.push(variable);
    try {
      return { kind: "quantifier", quantifier: q, target, variable, body: this.expr(o["body"], `${p}/body`, depth + 1), span: this.span };
    } finally {
      this.bound.pop();
    }
  }
}

/** Run `f` for one policy or link, turning a shape problem into a diagnostic. */
function attempt<T>(span: Span, diagnostics: Diagnostic[], f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof JsonShape)) throw e;
    diagnostics.push(diag(e.code, `${e.path === "" ? "" : `${e.path}: `}${e.message}`, span));
    return undefined;
  }
}

/** One entry of `templateLinks` (or of a links file). */
function readLink(x: JsonValue, path: string, span: Span): LinkDecl {
  const r = new Reader(span);
  const o = r.obj(x, path, ["templateId", "newId", "values"]);
  const values = r.obj(o["values"], `${path}/values`, [], ["?principal", "?resource"]);
  const principal = values["?principal"] === undefined ? undefined : r.entity(values["?principal"], `${path}/values/?principal`);
  const resource = values["?resource"] === undefined ? undefined : r.entity(values["?resource"], `${path}/values/?resource`);
  return {
    kind: "link",
    name: r.str(o["newId"], `${path}/newId`),
    template: r.str(o["templateId"], `${path}/templateId`),
    values: { ...(principal === undefined ? {} : { principal }), ...(resource === undefined ? {} : { resource }) },
    span,
  };
}

/** Read template links: an array of `{ "templateId", "newId", "values" }` (a links file). Never throws. */
export function linksFromJson(json: JsonValue, options: PolicyJsonOptions = {}, section = ""): PolicyJsonResult<LinkDecl[]> {
  const diagnostics: Diagnostic[] = [];
  if (!Array.isArray(json)) return { value: undefined, diagnostics: [diag("W1040", `${section === "" ? "" : `/${section}: `}expected an array of template links, found ${describe(json)}`, NO_SPAN)] };
  const links: LinkDecl[] = [];
  json.forEach((x, i) => {
    const name = isObj(x) && typeof x["newId"] === "string" ? x["newId"] : String(i);
    const span = options.locate?.(section, name) ?? NO_SPAN;
    const l = attempt(span, diagnostics, () => readLink(x, `${section === "" ? "" : `/${section}`}/${i}`, span));
    if (l !== undefined) links.push(l);
  });
  return { value: diagnostics.length > 0 ? undefined : links, diagnostics };
}

interface Keyed {
  readonly key: string;
  readonly section: "staticPolicies" | "templates";
  readonly json: JsonValue;
}

/** The order to read keyed policies in: `policyN` keys at position N when free, the rest in order. */
function placeByKey(entries: readonly Keyed[]): Keyed[] {
  const slots: (Keyed | undefined)[] = entries.map(() => undefined);
  const rest: Keyed[] = [];
  for (const e of entries) {
    const m = /^policy(0|[1-9][0-9]*)$/.exec(e.key);
    const n = m === null ? -1 : Number(m[1]);
    if (n >= 0 && n < slots.length && slots[n] === undefined && !hasIdAnnotation(e.json)) slots[n] = e;
    else rest.push(e);
  }
  return slots.map((s) => s ?? rest.shift()!);
}

function hasIdAnnotation(x: JsonValue): boolean {
  return isObj(x) && isObj(x["annotations"]) && x["annotations"]["id"] !== undefined;
}

/** Read a JSON policy set (or one JSON policy) into a `PolicySet` with its links. Never throws. */
export function policySetFromJson(json: JsonValue, options: PolicyJsonOptions = {}): PolicyJsonResult<PolicySet> {
  const diagnostics: Diagnostic[] = [];
  const entries: Keyed[] = [];
  let linksJson: JsonValue | undefined;
  if (isObj(json) && json["effect"] !== undefined) entries.push({ key: "policy0", section: "staticPolicies", json });
  else if (isObj(json)) {
    for (const k of Object.keys(json))
      if (k !== "staticPolicies" && k !== "templates" && k !== "templateLinks")
        diagnostics.push(diag("W1040", `unexpected key \`${k}\` (a JSON policy set has \`staticPolicies\`, \`templates\` and \`templateLinks\`)`, NO_SPAN));
    for (const section of ["staticPolicies", "templates"] as const) {
      const s = json[section];
      if (s === undefined) continue;
      if (!isObj(s)) diagnostics.push(diag("W1040", `/${section}: expected an object mapping policy ids to policies, found ${describe(s)}`, NO_SPAN));
      else
        for (const [key, p] of Object.entries(s)) {
          if (entries.some((e) => e.key === key)) diagnostics.push(diag("W1041", `/${section}/${key}: a static policy and a template are both named \`${key}\``, options.locate?.(section, key) ?? NO_SPAN));
          else entries.push({ key, section, json: p });
        }
    }
    linksJson = json["templateLinks"];
  } else diagnostics.push(diag("W1040", `expected a JSON policy set or policy object, found ${describe(json)}`, NO_SPAN));
  const policies: Policy[] = [];
  placeByKey(entries).forEach((e, i) => {
    const span = options.locate?.(e.section, e.key) ?? NO_SPAN;
    const p = attempt(span, diagnostics, () => {
      const anns: Annotation[] = [];
      const path = json === e.json ? "" : `/${e.section}/${e.key}`;
      const policy = new Reader(span).policy(e.json, path, anns);
      // As in Cedar: a template in `staticPolicies` is refused, and so (it would apply to everyone) is a static policy in `templates`.
      if (isTemplate(policy) !== (e.section === "templates") && path !== "")
        throw new JsonShape(path, e.section === "templates" ? "a template has `?principal` or `?resource` in its scope (a static policy goes in `staticPolicies`)" : "a static policy has no slot (a template goes in `templates`)");
      const id = anns.find((a) => a.name === "id");
      if (id !== undefined && id.value !== e.key) throw new JsonShape(path, `the policy is keyed \`${e.key}\` but its @id is ${JSON.stringify(id.value ?? null)}: Writ names a policy by its @id`, "W1041");
      if (id === undefined && e.key !== `policy${i}`) return { ...policy, annotations: [{ kind: "annotation" as const, name: "id", value: e.key, span }, ...anns] };
      return policy;
    });
    if (p !== undefined) policies.push(p);
  });
  let links: LinkDecl[] = [];
  if (linksJson !== undefined) {
    const r = linksFromJson(linksJson, options, "templateLinks");
    diagnostics.push(...r.diagnostics);
    links = r.value ?? [];
  }
  if (diagnostics.length > 0) return { value: undefined, diagnostics };
  return { value: { kind: "policySet", policies, comments: [], ...(links.length === 0 ? {} : { links }), span: NO_SPAN }, diagnostics: [] };
}
