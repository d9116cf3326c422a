/**
 * Strict shape checks for the parts of a bundle that come from outside: the policy IR and the
 * schema model. A checker either returns a problem (a path and a message) or, for the schema,
 * a freshly built model whose dictionaries are null-prototype objects.
 *
 * Strict means: every node has exactly the fields its kind allows (no unknown fields, no
 * missing required ones), every leaf has its type, nesting is bounded. Anything else is a
 * malformed bundle. The content ids are checked separately (`runtime/bundle.ts`).
 */
import type { IrExpr, IrPolicy } from "../compiler/ir.js";
import type { Schema } from "../compiler/schema-model.js";
import { uidKey } from "../compiler/schema-model.js";
import type { Type } from "../compiler/types.js";

/** A shape problem: where (JSON-pointer-like path) and what. */
export class ShapeError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path === "" ? "<root>" : path}: ${message}`);
    this.name = "ShapeError";
  }
}

/** Maximum IR / type nesting accepted from a bundle. */
export const MAX_BUNDLE_DEPTH = 1000;

type Obj = Record<string, unknown>;

/** True when `x` is a non-array object. */
export function isObj(x: unknown): x is Obj {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Require `x` to be an object with exactly the `required` keys and any of the `optional` keys. */
export function fields(x: unknown, path: string, required: readonly string[], optional: readonly string[] = []): Obj {
  if (!isObj(x)) throw new ShapeError(path, "expected an object");
  for (const k of required) if (!Object.prototype.hasOwnProperty.call(x, k)) throw new ShapeError(path, `missing field \`${k}\``);
  for (const k of Object.keys(x)) if (!required.includes(k) && !optional.includes(k)) throw new ShapeError(path, `unexpected field \`${k}\``);
  return x;
}

/** Require a string. */
export function str(x: unknown, path: string): string {
  if (typeof x !== "string") throw new ShapeError(path, "expected a string");
  return x;
}

function bool(x: unknown, path: string): boolean {
  if (typeof x !== "boolean") throw new ShapeError(path, "expected a boolean");
  return x;
}

function arr(x: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(x)) throw new ShapeError(path, "expected an array");
  return x;
}

function strs(x: unknown, path: string): string[] {
  return arr(x, path).map((s, i) => str(s, `${path}/${i}`));
}

function oneOf<T extends string>(x: unknown, path: string, allowed: readonly T[]): T {
  if (typeof x !== "string" || !(allowed as readonly string[]).includes(x)) throw new ShapeError(path, `expected one of ${allowed.join(", ")}`);
  return x as T;
}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

function entity(x: unknown, path: string): void {
  const o = fields(x, path, ["type", "id"]);
  str(o["type"], `${path}/type`);
  str(o["id"], `${path}/id`);
}

/** How to check one field of an IR expression node. */
type FieldKind = "expr" | "exprs" | "string" | "bool" | "entity" | "entities" | "pattern" | "entries" | "long";

/** The fields of every IR expression kind: required fields, then optional ones. */
const EXPR_FIELDS: Readonly<Record<string, { readonly req: Readonly<Record<string, FieldKind>>; readonly opt?: Readonly<Record<string, FieldKind>> }>> = {
  bool: { req: { value: "bool" } },
  long: { req: { value: "long" } },
  string: { req: { value: "string" } },
  entity: { req: { uid: "entity" } },
  var: { req: { name: "string" } },
  not: { req: { operand: "expr" } },
  neg: { req: { operand: "expr" } },
  and: { req: { left: "expr", right: "expr" } },
  or: { req: { left: "expr", right: "expr" } },
  binary: { req: { op: "string", left: "expr", right: "expr" } },
  in: { req: { left: "expr", right: "expr" } },
  inEntities: { req: { left: "expr", targets: "entities" } },
  if: { req: { cond: "expr", then: "expr", else: "expr" } },
  has: { req: { target: "expr", attr: "string" } },
  getAttr: { req: { target: "expr", attr: "string" } },
  like: { req: { target: "expr", pattern: "pattern" } },
  is: { req: { target: "expr", entityType: "string" }, opt: { in: "expr" } },
  call: { req: { fn: "string", method: "bool", args: "exprs" } },
  extLit: { req: { fn: "string", arg: "string" } },
  set: { req: { elements: "exprs" } },
  record: { req: { entries: "entries" } },
  error: { req: { code: "string", message: "string" } },
  quantifier: { req: { quantifier: "string", target: "expr", variable: "string", body: "expr" } },
  boundVar: { req: { name: "string" } },
};

const VARS = ["principal", "action", "resource", "context", "lineage"] as const;
const BINARY_OPS = ["==", "!=", "<", "<=", ">", ">=", "+", "-", "*"] as const;

function checkField(kind: FieldKind, v: unknown, path: string, depth: number): void {
  switch (kind) {
    case "expr":
      checkExpr(v, path, depth + 1);
      return;
    case "exprs":
      arr(v, path).forEach((e, i) => checkExpr(e, `${path}/${i}`, depth + 1));
      return;
    case "string":
      str(v, path);
      return;
    case "bool":
      bool(v, path);
      return;
    case "long": {
      const s = str(v, path);
      if (!/^-?(0|[1-9][0-9]*)$/.test(s) || BigInt(s) < I64_MIN || BigInt(s) > I64_MAX) throw new ShapeError(path, "expected a 64-bit integer in decimal");
      return;
    }
    case "entity":
      entity(v, path);
      return;
    case "entities":
      arr(v, path).forEach((e, i) => entity(e, `${path}/${i}`));
      return;
    case "pattern":
      arr(v, path).forEach((e, i) => {
        const p = `${path}/${i}`;
        const k = oneOf(fields(e, p, ["kind"], ["text"])["kind"], `${p}/kind`, ["literal", "wildcard"]);
        if (k === "literal") str(fields(e, p, ["kind", "text"])["text"], `${p}/text`);
        else fields(e, p, ["kind"]);
      });
      return;
    case "entries":
      checkEntries(v, path, depth);
      return;
  }
}

function checkEntries(v: unknown, path: string, depth: number): void {
  arr(v, path).forEach((e, i) => {
    const o = fields(e, `${path}/${i}`, ["key", "value"]);
    str(o["key"], `${path}/${i}/key`);
    checkExpr(o["value"], `${path}/${i}/value`, depth + 1);
  });
}

/** Check one IR expression (recursively). Throws {@link ShapeError}. */
export function checkExpr(x: unknown, path: string, depth = 0): asserts x is IrExpr {
  if (depth > MAX_BUNDLE_DEPTH) throw new ShapeError(path, "expression nested too deeply");
  if (!isObj(x)) throw new ShapeError(path, "expected an expression object");
  const kind = x["kind"];
  const spec = typeof kind === "string" && Object.prototype.hasOwnProperty.call(EXPR_FIELDS, kind) ? EXPR_FIELDS[kind] : undefined;
  if (spec === undefined) throw new ShapeError(`${path}/kind`, `unknown expression kind ${JSON.stringify(kind)}`);
  const opt = spec.opt ?? {};
  const o = fields(x, path, ["kind", ...Object.keys(spec.req)], Object.keys(opt));
  for (const [k, fk] of Object.entries(spec.req)) checkField(fk, o[k], `${path}/${k}`, depth);
  for (const [k, fk] of Object.entries(opt)) if (o[k] !== undefined) checkField(fk, o[k], `${path}/${k}`, depth);
  if (kind === "var") oneOf(o["name"], `${path}/name`, VARS);
  if (kind === "binary") oneOf(o["op"], `${path}/op`, BINARY_OPS);
  if (kind === "error") oneOf(o["code"], `${path}/code`, ["W4002", "W4005"]);
  if (kind === "quantifier") oneOf(o["quantifier"], `${path}/quantifier`, ["any", "all"]);
}

/** Check one scope; a slot (`kind: "slot"`) only where `slots` allows it (templates). Throws {@link ShapeError}. */
export function checkScope(x: unknown, path: string, slots = false): void {
  const kind = oneOf(fields(x, path, ["kind"], ["entity", "entities", "entityType", "in", "slot", "op"])["kind"], `${path}/kind`, slots ? ["any", "eq", "in", "is", "slot"] : ["any", "eq", "in", "is"]);
  switch (kind) {
    case "any":
      fields(x, path, ["kind"]);
      return;
    case "eq":
      entity(fields(x, path, ["kind", "entity"])["entity"], `${path}/entity`);
      return;
    case "in":
      arr(fields(x, path, ["kind", "entities"])["entities"], `${path}/entities`).forEach((e, i) => entity(e, `${path}/entities/${i}`));
      return;
    case "is": {
      const o = fields(x, path, ["kind", "entityType"], ["in"]);
      str(o["entityType"], `${path}/entityType`);
      if (o["in"] !== undefined) entity(o["in"], `${path}/in`);
      return;
    }
    case "slot": {
      const o = fields(x, path, ["kind", "slot", "op"], ["entityType"]);
      oneOf(o["slot"], `${path}/slot`, ["principal", "resource"]);
      oneOf(o["op"], `${path}/op`, ["eq", "in", "is"]);
      if (o["entityType"] !== undefined) str(o["entityType"], `${path}/entityType`);
      return;
    }
  }
}

/** Optional fields of a policy IR and their checks (Writ extensions). */
const POLICY_OPTIONAL = ["obligations"] as const;

/** Check one policy IR (or, with `kind: "template"`, one template IR). Throws {@link ShapeError}. */
export function checkPolicyIr(x: unknown, path: string, kind: "policy" | "template" = "policy"): asserts x is IrPolicy {
  const o = fields(x, path, ["kind", "name", "effect", "annotations", "principal", "action", "resource", "conditions"], POLICY_OPTIONAL);
  oneOf(o["kind"], `${path}/kind`, [kind]);
  str(o["name"], `${path}/name`);
  oneOf(o["effect"], `${path}/effect`, ["permit", "forbid"]);
  arr(o["annotations"], `${path}/annotations`).forEach((a, i) => {
    const ao = fields(a, `${path}/annotations/${i}`, ["name", "value"]);
    str(ao["name"], `${path}/annotations/${i}/name`);
    if (ao["value"] !== null) str(ao["value"], `${path}/annotations/${i}/value`);
  });
  for (const v of ["principal", "action", "resource"] as const) checkScope(o[v], `${path}/${v}`, kind === "template" && v !== "action");
  arr(o["conditions"], `${path}/conditions`).forEach((c, i) => {
    const co = fields(c, `${path}/conditions/${i}`, ["polarity", "body"]);
    oneOf(co["polarity"], `${path}/conditions/${i}/polarity`, ["when", "unless"]);
    checkExpr(co["body"], `${path}/conditions/${i}/body`, 1);
  });
  if (o["obligations"] !== undefined) checkEntries(o["obligations"], `${path}/obligations`, 1);
}

// ---------------------------------------------------------------------------
// Schema model
// ---------------------------------------------------------------------------

function dictOf<T>(x: unknown, path: string, item: (v: unknown, key: string, path: string) => T): Record<string, T> {
  if (!isObj(x)) throw new ShapeError(path, "expected an object");
  const out = Object.create(null) as Record<string, T>;
  for (const k of Object.keys(x)) out[k] = item(x[k], k, `${path}/${k}`);
  return out;
}

const EXTENSIONS = ["decimal", "ipaddr", "datetime", "duration"] as const;

function readType(x: unknown, path: string, depth: number): Type {
  if (depth > MAX_BUNDLE_DEPTH) throw new ShapeError(path, "type nested too deeply");
  const kind = oneOf(isObj(x) ? x["kind"] : undefined, `${path}/kind`, ["never", "bool", "long", "string", "entity", "anyEntity", "set", "record", "extension"]);
  switch (kind) {
    case "never":
    case "long":
    case "string":
    case "anyEntity":
      fields(x, path, ["kind"]);
      return { kind };
    case "bool": {
      const o = fields(x, path, ["kind"], ["value"]);
      return o["value"] === undefined ? { kind } : { kind, value: bool(o["value"], `${path}/value`) };
    }
    case "entity":
      return { kind, types: strs(fields(x, path, ["kind", "types"])["types"], `${path}/types`) };
    case "set": {
      const o = fields(x, path, ["kind"], ["element"]);
      return o["element"] === undefined ? { kind } : { kind, element: readType(o["element"], `${path}/element`, depth + 1) };
    }
    case "record":
      return readRecordType(x, path, depth);
    case "extension":
      return { kind, name: oneOf(fields(x, path, ["kind", "name"])["name"], `${path}/name`, EXTENSIONS) };
  }
}

function readRecordType(x: unknown, path: string, depth: number): Type & { kind: "record" } {
  const o = fields(x, path, ["kind", "attrs", "open"]);
  oneOf(o["kind"], `${path}/kind`, ["record"]);
  const attrs = dictOf(o["attrs"], `${path}/attrs`, (v, _k, p) => {
    const a = fields(v, p, ["type", "required"]);
    return { type: readType(a["type"], `${p}/type`, depth + 1), required: bool(a["required"], `${p}/required`) };
  });
  return { kind: "record", attrs, open: bool(o["open"], `${path}/open`) };
}

/** Read and check a schema model from its plain JSON form. Throws {@link ShapeError}. */
export function readSchemaModel(x: unknown, path: string): Schema {
  const o = fields(x, path, ["entityTypes", "actions", "actionTypes", "commonTypes"], ["obligations"]);
  const entityTypes = dictOf(o["entityTypes"], `${path}/entityTypes`, (v, key, p) => {
    const e = fields(v, p, ["name", "memberOf", "attributes"], ["tags", "enumValues"]);
    const name = str(e["name"], `${p}/name`);
    if (name !== key) throw new ShapeError(`${p}/name`, `does not match its key \`${key}\``);
    return {
      name,
      memberOf: strs(e["memberOf"], `${p}/memberOf`),
      attributes: readRecordType(e["attributes"], `${p}/attributes`, 1),
      ...(e["tags"] === undefined ? {} : { tags: readType(e["tags"], `${p}/tags`, 1) }),
      ...(e["enumValues"] === undefined ? {} : { enumValues: strs(e["enumValues"], `${p}/enumValues`) }),
    };
  });
  const actions = dictOf(o["actions"], `${path}/actions`, (v, key, p) => {
    const a = fields(v, p, ["type", "id", "key", "memberOf"], ["appliesTo"]);
    const type = str(a["type"], `${p}/type`);
    const id = str(a["id"], `${p}/id`);
    const k = str(a["key"], `${p}/key`);
    if (k !== key || k !== uidKey(type, id)) throw new ShapeError(`${p}/key`, `does not match the action uid`);
    let appliesTo;
    if (a["appliesTo"] !== undefined) {
      const at = fields(a["appliesTo"], `${p}/appliesTo`, ["principals", "resources", "context"]);
      appliesTo = {
        principals: strs(at["principals"], `${p}/appliesTo/principals`),
        resources: strs(at["resources"], `${p}/appliesTo/resources`),
        context: readRecordType(at["context"], `${p}/appliesTo/context`, 1),
      };
    }
    return {
      type,
      id,
      key: k,
      memberOf: strs(a["memberOf"], `${p}/memberOf`),
      ...(appliesTo === undefined ? {} : { appliesTo }),
    };
  });
  // NOTE: only direct parents are stored (a linear-size model); hierarchy questions walk them
  // iteratively (compiler/schema-model.ts), so a long or cyclic chain here is harmless.
  for (const a of Object.values(actions))
    for (const m of a.memberOf)
      if (!Object.prototype.hasOwnProperty.call(actions, m)) throw new ShapeError(`${path}/actions`, `action group \`${m}\` is not declared`);
  const actionTypes = strs(o["actionTypes"], `${path}/actionTypes`);
  const commonTypes = dictOf(o["commonTypes"], `${path}/commonTypes`, (v, _k, p) => readType(v, p, 1));
  if (o["obligations"] === undefined) return { entityTypes, actions, actionTypes, commonTypes };
  const obligations = dictOf(o["obligations"], `${path}/obligations`, (v, _k, p) => readType(v, p, 1));
  return { entityTypes, actions, actionTypes, commonTypes, obligations };
}
