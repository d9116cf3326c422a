/**
 * Requests and data against a schema: `validateRequest` checks a request the
 * way Cedar does when given a schema (W5006); `validateEntities` checks entity
 * data as Cedar does when parsing entities with a schema (W5003: declared
 * types, attribute and tag types, allowed parent types, enumerated ids);
 * `schemaActionEntities` builds the action entities Cedar adds to the store;
 * `entityHintFor` turns the schema into the hints that stdlib/json.ts uses for
 * schema-directed reading (`{"type","id"}` for entities, plain extension strings).
 */
import { diag, didYouMeanHelp, type Diagnostic } from "../lang/diagnostics.js";
import type { Entities, EntityRecord } from "../stdlib/entities.js";
import type { EntityHints, ValueHint } from "../stdlib/json.js";
import { EntityUID, RecordValue, SetValue, type Value } from "../stdlib/value.js";
import { actionInfo, allEntityTypeNames, entityTypeInfo, isActionType, isEnumValue, mayHaveParent, type Schema } from "./schema-model.js";
import { assertNever } from "../lang/span.js";
import { attrOf, showType, type RecordType, type Type } from "./types.js";

/** A request as the runtime sees it. */
export interface RequestValues {
  readonly principal: EntityUID;
  readonly action: EntityUID;
  readonly resource: EntityUID;
  readonly context: RecordValue;
}

const NO_SPAN = { start: 0, end: 0 };
const EMPTY_RECORD = new RecordValue(new Map());

function w5006(message: string, help?: string): Diagnostic {
  return diag("W5006", message, NO_SPAN, help);
}

/**
 * Does value `v` have type `t`? The same answer as `valueTypeError(…) === undefined`, without
 * building any message (the common case on every request): messages are made only for
 * values that do not conform.
 */
export function conforms(schema: Schema, v: Value, t: Type): boolean {
  switch (t.kind) {
    case "never":
      return false;
    case "bool":
      return typeof v === "boolean" && (t.value === undefined || v === t.value);
    case "long":
      return typeof v === "bigint";
    case "string":
      return typeof v === "string";
    case "entity": {
      if (!(v instanceof EntityUID) || !t.types.includes(v.type)) return false;
      const info = entityTypeInfo(schema, v.type);
      return info?.enumValues === undefined || info.enumValues.includes(v.id);
    }
    case "anyEntity":
      return v instanceof EntityUID;
    case "set":
      if (!(v instanceof SetValue)) return false;
      if (t.element === undefined) return v.elements.length === 0;
      for (const el of v.elements) if (!conforms(schema, el, t.element)) return false;
      return true;
    case "record": {
      if (!(v instanceof RecordValue)) return false;
      let present = 0;
      for (const k in t.attrs) {
        const a = attrOf(t, k)!;
        const x = v.fields.get(k);
        if (x === undefined) {
          if (a.required) return false;
          continue;
        }
        present++;
        if (!conforms(schema, x, a.type)) return false;
      }
      return t.open || present === v.fields.size;
    }
    case "extension":
      return typeof v === "object" && !(v instanceof EntityUID) && !(v instanceof SetValue) && !(v instanceof RecordValue) && v.extension === t.name;
    default:
      return assertNever(t, "type");
  }
}

/**
 * Why value `v` does not have type `t` (a message naming the path), or
 * undefined when it conforms. Records are closed: extra attributes are errors.
 */
export function valueTypeError(schema: Schema, v: Value, t: Type, path: string): string | undefined {
  const found = describeValue(v);
  const bad = (): string => `${path} should be ${showType(t)}, found ${found}`;
  switch (t.kind) {
    case "never":
      return bad();
    case "bool":
      return typeof v === "boolean" && (t.value === undefined || v === t.value) ? undefined : bad();
    case "long":
      return typeof v === "bigint" ? undefined : bad();
    case "string":
      return typeof v === "string" ? undefined : bad();
    case "entity":
      if (!(v instanceof EntityUID) || !t.types.includes(v.type)) return bad();
      return entityIdError(schema, v, path);
    case "anyEntity":
      return v instanceof EntityUID ? undefined : bad();
    case "set":
      if (!(v instanceof SetValue)) return bad();
      if (t.element === undefined) return v.elements.length === 0 ? undefined : bad();
      for (const [i, el] of v.elements.entries()) {
        const err = valueTypeError(schema, el, t.element, `${path}[${i}]`);
        if (err !== undefined) return err;
      }
      return undefined;
    case "record":
      return v instanceof RecordValue ? recordTypeError(schema, v, t, path) : bad();
    case "extension":
      return typeof v === "object" && !(v instanceof EntityUID) && !(v instanceof SetValue) && !(v instanceof RecordValue) && v.extension === t.name
        ? undefined
        : bad();
    default:
      return assertNever(t, "type");
  }
}

function recordTypeError(schema: Schema, v: RecordValue, t: RecordType, path: string): string | undefined {
  for (const [k, a] of Object.entries(t.attrs)) {
    const x = v.get(k);
    if (x === undefined) {
      if (a.required) return `${path} is missing the required attribute \`${k}\``;
      continue;
    }
    const err = valueTypeError(schema, x, a.type, `${path}.${k}`);
    if (err !== undefined) return err;
  }
  if (!t.open)
    for (const k of v.fields.keys())
      if (attrOf(t, k) === undefined) return `${path} has the attribute \`${k}\`, which the schema does not declare`;
  return undefined;
}

function entityIdError(schema: Schema, uid: EntityUID, path: string): string | undefined {
  if (!isEnumValue(schema, uid.type, uid.id))
    return `${path}: \`${uid.key}\` is not one of the values of the enumerated entity type \`${uid.type}\``;
  return undefined;
}

function describeValue(v: Value): string {
  if (typeof v === "boolean") return "a Bool";
  if (typeof v === "bigint") return "a Long";
  if (typeof v === "string") return "a String";
  if (v instanceof EntityUID) return `entity \`${v.key}\``;
  if (v instanceof SetValue) return "a set";
  if (v instanceof RecordValue) return "a record";
  return `a ${v.extension}`;
}

/**
 * Check a request against the schema (as Cedar's request validation): the
 * action is declared and applies to the principal's and resource's types,
 * enumerated ids are valid, and the context matches the action's context type.
 * Returns W5006 diagnostics (empty when the request conforms).
 */
export function validateRequest(schema: Schema, request: RequestValues): Diagnostic[] {
  const out: Diagnostic[] = [];
  const action = actionInfo(schema, request.action.key);
  if (action === undefined) {
    const keys = Object.keys(schema.actions);
    out.push(w5006(`unknown action \`${request.action.key}\``, didYouMeanHelp(request.action.key, keys)));
    return out;
  }
  const at = action.appliesTo;
  if (at === undefined) {
    out.push(w5006(`action \`${action.key}\` applies to no principal and resource types`));
    return out;
  }
  const checkVar = (what: "principal" | "resource", uid: EntityUID, allowed: readonly string[]): void => {
    if (!allowed.includes(uid.type)) {
      const known = entityTypeInfo(schema, uid.type) !== undefined || isActionType(schema, uid.type);
      const why = known ? "" : ` (\`${uid.type}\` is not an entity type of the schema)`;
      out.push(
        w5006(
          `${what} \`${uid.key}\` has type \`${uid.type}\`, but action \`${action.key}\` applies to ${what}s of type ${allowed.map((a) => `\`${a}\``).join(", ") || "nothing"}${why}`,
          didYouMeanHelp(uid.type, allowed),
        ),
      );
      return;
    }
    const err = entityIdError(schema, uid, what);
    if (err !== undefined) out.push(w5006(err));
  };
  checkVar("principal", request.principal, at.principals);
  checkVar("resource", request.resource, at.resources);
  if (conforms(schema, request.context, at.context)) return out;
  const err = valueTypeError(schema, request.context, at.context, "context");
  if (err !== undefined) out.push(w5006(`the context does not match action \`${action.key}\`: ${err}`));
  return out;
}

/** The JSON reading hint for values of type `t` (undefined: read without hint). */
export function valueHintFor(t: Type): ValueHint | undefined {
  switch (t.kind) {
    case "entity":
    case "anyEntity":
      return { kind: "entity" };
    case "extension":
      return { kind: "extension", name: t.name };
    case "set":
      return { kind: "set", element: t.element === undefined ? undefined : valueHintFor(t.element) };
    case "record": {
      // NOTE: the attribute hints are built once here, not on every read of a value.
      const hints = new Map<string, ValueHint>();
      for (const k in t.attrs) {
        const h = valueHintFor(attrOf(t, k)!.type);
        if (h !== undefined) hints.set(k, h);
      }
      return { kind: "record", attr: (name: string) => hints.get(name) };
    }
    case "never":
    case "bool":
    case "long":
    case "string":
      return undefined;
    default:
      return assertNever(t, "type");
  }
}

/**
 * The `hintFor` callback of `entitiesFromJson`: for each entity type of the
 * schema, hints for its attributes and tag values.
 */
export function entityHintFor(schema: Schema): (entityType: string) => EntityHints | undefined {
  const cache = new Map<string, EntityHints | undefined>();
  return (entityType: string) => {
    if (cache.has(entityType)) return cache.get(entityType);
    const info = entityTypeInfo(schema, entityType);
    let hints: EntityHints | undefined;
    if (info !== undefined) {
      const attrs = valueHintFor(info.attributes);
      const tags = info.tags === undefined ? undefined : valueHintFor(info.tags);
      hints = { ...(attrs === undefined ? {} : { attrs }), ...(tags === undefined ? {} : { tags }) };
    }
    cache.set(entityType, hints);
    return hints;
  };
}

/** The JSON reading hint for the context of action `actionKey` (undefined when unknown). */
export function contextHintFor(schema: Schema, actionKey: string): ValueHint | undefined {
  let byAction = contextHints.get(schema);
  if (byAction === undefined) contextHints.set(schema, (byAction = new Map()));
  if (byAction.has(actionKey)) return byAction.get(actionKey);
  const at = actionInfo(schema, actionKey)?.appliesTo;
  const hint = at === undefined ? undefined : valueHintFor(at.context);
  if (byAction.size < MAX_CACHED_HINTS) byAction.set(actionKey, hint);
  return hint;
}

/** Context hints by schema and action key (a schema is immutable once loaded). */
const contextHints = new WeakMap<Schema, Map<string, ValueHint | undefined>>();
/** Bound on cached hints per schema (unknown action keys come from requests). */
const MAX_CACHED_HINTS = 4096;

function w5003(message: string, help?: string): Diagnostic {
  return diag("W5003", message, NO_SPAN, help);
}

/** Problems of one entity record against the schema (empty when it conforms). */
export function validateEntity(schema: Schema, e: EntityRecord): Diagnostic[] {
  // NOTE: the common case, a conforming entity, is answered without building any message.
  return entityConforms(schema, e) ? [] : entityProblems(schema, e);
}

/**
 * The problems of one entity record, every check spelled out (what {@link validateEntity}
 * answers; it skips this for an entity that conforms).
 * @internal exported for the property test that compares the two.
 */
export function entityProblems(schema: Schema, e: EntityRecord): Diagnostic[] {
  const out: Diagnostic[] = [];
  const who = `entity \`${e.uid.key}\``;
  if (isActionType(schema, e.uid.type)) {
    if (actionInfo(schema, e.uid.key) === undefined) out.push(w5003(`${who} is not an action declared in the schema`));
    return out;
  }
  const info = entityTypeInfo(schema, e.uid.type);
  if (info === undefined) {
    out.push(w5003(`${who} has a type the schema does not declare`, didYouMeanHelp(e.uid.type, allEntityTypeNames(schema))));
    return out;
  }
  if (!isEnumValue(schema, info.name, e.uid.id))
    out.push(w5003(`${who} is not one of the values of the enumerated entity type \`${info.name}\``));
  const attrErr = valueTypeError(schema, e.attrs, info.attributes, "attributes");
  if (attrErr !== undefined) out.push(w5003(`${who}: ${attrErr}`));
  for (const p of e.parents) {
    if (!mayHaveParent(schema, info.name, p.type))
      out.push(w5003(`${who} cannot be a member of \`${p.key}\`: the schema allows parents of type ${info.memberOf.map((m) => `\`${m}\``).join(", ") || "none"}`));
  }
  if (info.tags === undefined) {
    if (e.tags.fields.size > 0) out.push(w5003(`${who} has tags, but entity type \`${info.name}\` declares none`));
  } else {
    for (const [k, v] of e.tags.fields) {
      const err = valueTypeError(schema, v, info.tags, `tag \`${k}\``);
      if (err !== undefined) out.push(w5003(`${who}: ${err}`));
    }
  }
  return out;
}

/** Does entity `e` conform to the schema? Same answer as `validateEntity(…).length === 0`, without messages. */
function entityConforms(schema: Schema, e: EntityRecord): boolean {
  if (isActionType(schema, e.uid.type)) return false; // rare: the full check decides
  const info = entityTypeInfo(schema, e.uid.type);
  if (info === undefined || info.enumValues !== undefined) return false;
  if (!conforms(schema, e.attrs, info.attributes)) return false;
  const ps = e.parents;
  for (let i = 0; i < ps.length; i++) if (!mayHaveParent(schema, info.name, ps[i]!.type)) return false;
  if (info.tags === undefined) return e.tags.fields.size === 0;
  for (const v of e.tags.fields.values()) if (!conforms(schema, v, info.tags)) return false;
  return true;
}

/** Problems of every entity of a store against the schema (W5003), in store order. */
export function validateEntities(schema: Schema, entities: Entities): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const e of entities.records()) for (const d of validateEntity(schema, e)) out.push(d);
  return out;
}

/**
 * The action entities of the schema, each with its declared action groups as
 * parents (Cedar adds these to the entity store when a schema is given), in a
 * stable order.
 */
export function schemaActionEntities(schema: Schema): EntityRecord[] {
  return Object.keys(schema.actions)
    .sort()
    .map((key) => {
      const a = schema.actions[key]!;
      const parents = a.memberOf.map((m) => {
        const p = actionInfo(schema, m)!;
        return new EntityUID(p.type, p.id);
      });
      return { uid: new EntityUID(a.type, a.id), attrs: EMPTY_RECORD, parents, tags: EMPTY_RECORD };
    });
}
