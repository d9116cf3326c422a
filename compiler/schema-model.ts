/**
 * The loaded schema: plain data (null-prototype dictionaries, arrays, strings)
 * plus helper functions over it. Everything is fully qualified and resolved, so
 * the model can be serialized into a bundle and used at runtime.
 */
import { uidKey } from "../stdlib/value.js";
import { dict, lookup, type RecordType, type Type } from "./types.js";

/** One entity type. `ancestors` is the transitive closure of `memberOf` (sorted). */
export interface EntityTypeInfo {
  readonly name: string;
  readonly memberOf: readonly string[];
  readonly ancestors: readonly string[];
  readonly attributes: RecordType;
  /** The tag value type when the type declares `tags`. */
  readonly tags?: Type;
  /** Allowed entity ids when the type is an enumeration. */
  readonly enumValues?: readonly string[];
}

/** What an action applies to. Context is always a record (empty when omitted). */
export interface AppliesTo {
  readonly principals: readonly string[];
  readonly resources: readonly string[];
  readonly context: RecordType;
}

/** One action. Keys are action uid keys (`Ns::Action::"view"`). */
export interface ActionInfo {
  readonly type: string;
  readonly id: string;
  readonly key: string;
  readonly memberOf: readonly string[];
  /** Transitive action groups (keys), sorted. */
  readonly ancestors: readonly string[];
  /** Undefined when the action applies to nothing. */
  readonly appliesTo?: AppliesTo;
}

/** A loaded, resolved schema. */
export interface Schema {
  readonly entityTypes: Readonly<Record<string, EntityTypeInfo>>;
  readonly actions: Readonly<Record<string, ActionInfo>>;
  /** Entity type names of actions, e.g. `Action`, `Ns::Action` (sorted). */
  readonly actionTypes: readonly string[];
  readonly commonTypes: Readonly<Record<string, Type>>;
  /** Writ extension: declared obligation keys and their value types (absent when none are declared). */
  readonly obligations?: Readonly<Record<string, Type>>;
}

/** One request environment: principal type, action, resource type, context type. */
export interface RequestEnv {
  readonly principal: string;
  readonly action: ActionInfo;
  readonly resource: string;
  readonly context: RecordType;
}

export { uidKey };

/** An empty schema (no types, no actions). */
export function emptySchema(): Schema {
  return { entityTypes: dict(), actions: dict(), actionTypes: [], commonTypes: dict() };
}

/** The entity type `name`, if declared. */
export function entityTypeInfo(schema: Schema, name: string): EntityTypeInfo | undefined {
  return lookup(schema.entityTypes, name);
}

/** The action with uid key `key`, if declared. */
export function actionInfo(schema: Schema, key: string): ActionInfo | undefined {
  return lookup(schema.actions, key);
}

/** True when `name` is the entity type of some declared action. */
export function isActionType(schema: Schema, name: string): boolean {
  return schema.actionTypes.includes(name);
}

/** True when `name` is a declared entity type or an action entity type. */
export function isKnownEntityType(schema: Schema, name: string): boolean {
  return entityTypeInfo(schema, name) !== undefined || isActionType(schema, name);
}

/** Every entity type name, declared and action types, sorted (for suggestions). */
export function allEntityTypeNames(schema: Schema): string[] {
  return [...Object.keys(schema.entityTypes), ...schema.actionTypes].sort();
}

/**
 * True when an entity of type `child` may be `in` an entity of type `parent`:
 * the same type (`in` is reflexive) or a transitive `memberOf` ancestor.
 */
export function mayBeIn(schema: Schema, child: string, parent: string): boolean {
  if (child === parent) return true;
  const info = entityTypeInfo(schema, child);
  return info !== undefined && info.ancestors.includes(parent);
}

/** True when action `key` is `in` action `group` (reflexive, transitive). */
export function actionIsIn(schema: Schema, key: string, group: string): boolean {
  if (key === group) return true;
  const a = actionInfo(schema, key);
  return a !== undefined && a.ancestors.includes(group);
}

/** Every request environment the schema allows, in a stable order. */
export function requestEnvs(schema: Schema): RequestEnv[] {
  const out: RequestEnv[] = [];
  for (const key of Object.keys(schema.actions).sort()) {
    const action = schema.actions[key]!;
    const at = action.appliesTo;
    if (at === undefined) continue;
    for (const principal of at.principals)
      for (const resource of at.resources) out.push({ principal, action, resource, context: at.context });
  }
  return out;
}
