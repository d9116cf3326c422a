/**
 * Schema loading: resolves the names of a parsed `.cedarschema` file into the
 * plain-data `Schema` model (see schema-model.ts).
 *
 * Name resolution (Cedar's rules): a name declared inside `namespace A` is
 * `A::Name`. An unqualified type reference resolves, in order, to a common type
 * of the current namespace, an entity type of the current namespace, a common
 * type of the empty namespace, an entity type of the empty namespace, and
 * finally a builtin (`Bool`, `Long`, `String`, `decimal`, `ipaddr`, `datetime`,
 * `duration`); `__cedar::Long` always names the builtin.
 */
import type { Name } from "../lang/ast.js";
import { diag, didYouMeanHelp, type Diagnostic } from "../lang/diagnostics.js";
import type { ActionDecl, Declaration, EntityDecl, ObligationDecl, SchemaFile, TypeDecl, TypeExpr } from "../lang/schema-ast.js";
import type { Span } from "../lang/span.js";
import { assertNever } from "../lang/span.js";
import { mergeRuleOf } from "./governance.js";
import { uidKey, type ActionInfo, type AppliesTo, type EntityTypeInfo, type Schema } from "./schema-model.js";
import { BOOL, dict, emptyRecord, entityType, extensionType, lookup, LONG, recordType, setType, STRING, type AttrType, type RecordType, type Type } from "./types.js";

/** The schema model and its helpers, re-exported for callers that only import this module. */
export {
  actionInfo,
  actionIsIn,
  allEntityTypeNames,
  emptySchema,
  entityTypeInfo,
  isActionType,
  isKnownEntityType,
  mayBeIn,
  requestEnvs,
  uidKey,
  type ActionInfo,
  type AppliesTo,
  type EntityTypeInfo,
  type RequestEnv,
  type Schema,
} from "./schema-model.js";

const BUILTIN_TYPES: Readonly<Record<string, Type>> = Object.assign(dict<Type>(), {
  Bool: BOOL,
  Long: LONG,
  String: STRING,
  decimal: extensionType("decimal"),
  ipaddr: extensionType("ipaddr"),
  datetime: extensionType("datetime"),
  duration: extensionType("duration"),
});

interface Declared<D> {
  readonly ns: string;
  readonly decl: D;
}

function qualify(ns: string, name: string): string {
  return ns === "" ? name : `${ns}::${name}`;
}

/** Result of `loadSchema`. */
export interface LoadSchemaResult {
  readonly schema: Schema | undefined;
  readonly diagnostics: Diagnostic[];
}

/**
 * Load a parsed schema: resolve every name, build the entity and action
 * hierarchies, and report W2xxx diagnostics. `schema` is undefined only when
 * the schema has errors.
 */
export function loadSchema(ast: SchemaFile): LoadSchemaResult {
  return new SchemaLoader().load(ast);
}

class SchemaLoader {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly commonDecls = dict<Declared<TypeDecl>>();
  private readonly entityDecls = dict<Declared<EntityDecl>>();
  private readonly actionDecls = dict<Declared<ActionDecl> & { readonly type: string; readonly id: string }>();
  private readonly commonTypes = dict<Type>();
  private readonly obligationDecls = dict<Declared<ObligationDecl>>();
  private readonly resolving = new Set<string>();

  load(ast: SchemaFile): LoadSchemaResult {
    const namespaces = new Set<string>();
    for (const item of ast.items) {
      if (item.kind === "namespaceDecl") {
        const ns = item.name.path.join("::");
        if (namespaces.has(ns)) this.error("W2010", `namespace \`${ns}\` is declared twice`, item.name.span, "merge the two declarations into one");
        namespaces.add(ns);
        for (const d of item.declarations) this.register(ns, d);
      } else this.register("", item);
    }
    for (const name of Object.keys(this.commonDecls)) this.resolveCommon(name, undefined);
    const entityTypes = dict<EntityTypeInfo>();
    for (const [name, { ns, decl }] of Object.entries(this.entityDecls)) entityTypes[name] = this.entityInfo(name, ns, decl);
    computeEntityAncestors(entityTypes);
    const actions = dict<ActionInfo>();
    for (const [key, d] of Object.entries(this.actionDecls)) actions[key] = this.actionInfo(key, d);
    this.computeActionAncestors(actions);
    const actionTypes = [...new Set(Object.values(actions).map((a) => a.type))].sort();
    const obligations = this.obligationTypes();
    const schema: Schema = { entityTypes, actions, actionTypes, commonTypes: this.commonTypes, ...(obligations === undefined ? {} : { obligations }) };
    const failed = this.diagnostics.some((d) => d.severity === "error");
    return { schema: failed ? undefined : schema, diagnostics: this.diagnostics };
  }

  private register(ns: string, d: Declaration): void {
    switch (d.kind) {
      case "typeDecl": {
        const name = qualify(ns, d.name);
        if (lookup(this.commonDecls, name) !== undefined) this.error("W2006", `common type \`${name}\` is declared twice`, d.span);
        else if (lookup(BUILTIN_TYPES, d.name) !== undefined && ns === "")
          this.error("W2006", `common type \`${name}\` shadows a builtin type`, d.span);
        else this.commonDecls[name] = { ns, decl: d };
        return;
      }
      case "entityDecl":
        for (const n of d.names) {
          const name = qualify(ns, n);
          if (n === "Action") this.error("W2002", `entity type \`${name}\` clashes with the entity type of actions`, d.span, "choose another name");
          else if (lookup(this.entityDecls, name) !== undefined) this.error("W2002", `entity type \`${name}\` is declared twice`, d.span);
          else this.entityDecls[name] = { ns, decl: d };
        }
        return;
      case "actionDecl":
        for (const n of d.names) {
          const type = qualify(ns, "Action");
          const key = uidKey(type, n);
          if (lookup(this.actionDecls, key) !== undefined) this.error("W2003", `action \`${key}\` is declared twice`, d.span);
          else this.actionDecls[key] = { ns, decl: d, type, id: n };
        }
        return;
      case "obligationDecl":
        if (lookup(this.obligationDecls, d.name) !== undefined) this.error("W6006", `obligation \`${d.name}\` is declared twice`, d.span, "obligation names are global: declare each once");
        else this.obligationDecls[d.name] = { ns, decl: d };
        return;
      default:
        assertNever(d, "declaration");
    }
  }

  /** Resolve the obligation declarations; a type that cannot be merged is W6005. */
  private obligationTypes(): Record<string, Type> | undefined {
    const names = Object.keys(this.obligationDecls).sort();
    if (names.length === 0) return undefined;
    const out = dict<Type>();
    for (const name of names) {
      const { ns, decl } = this.obligationDecls[name]!;
      const t = this.resolveTypeExpr(decl.type, ns);
      if (t === undefined) continue;
      if (mergeRuleOf(t) === undefined)
        this.error("W6005", `obligation \`${name}\` has a type that cannot be merged`, decl.type.span, "obligation types are Bool (or), Long, decimal or duration (minimum) and Set<T> (union)");
      out[name] = t;
    }
    return out;
  }

  private error(code: Parameters<typeof diag>[0], message: string, span: Span, help?: string): void {
    this.diagnostics.push(diag(code, message, span, help));
  }

  private resolveCommon(name: string, useSpan: Span | undefined): Type | undefined {
    const done = lookup(this.commonTypes, name);
    if (done !== undefined) return done;
    const d = lookup(this.commonDecls, name);
    if (d === undefined) return undefined;
    if (this.resolving.has(name)) {
      this.error("W2006", `common type \`${name}\` refers to itself`, useSpan ?? d.decl.span);
      return undefined;
    }
    this.resolving.add(name);
    const t = this.resolveTypeExpr(d.decl.type, d.ns);
    this.resolving.delete(name);
    if (t !== undefined) this.commonTypes[name] = t;
    return t;
  }

  /** Candidate fully-qualified names for a reference written as `name` in namespace `ns`. */
  private candidates(name: Name, ns: string): string[] {
    const full = name.path.join("::");
    if (name.path.length === 1 && ns !== "") return [qualify(ns, full), full];
    return [full];
  }

  private resolveNamed(name: Name, ns: string): Type | undefined {
    const full = name.path.join("::");
    if (name.path.length === 2 && name.path[0] === "__cedar") {
      const b = lookup(BUILTIN_TYPES, name.path[1]!);
      if (b !== undefined) return b;
    }
    for (const c of this.candidates(name, ns)) {
      if (lookup(this.commonDecls, c) !== undefined) return this.resolveCommon(c, name.span);
      if (lookup(this.entityDecls, c) !== undefined) return entityType(c);
    }
    if (name.path.length === 1) {
      const b = lookup(BUILTIN_TYPES, full);
      if (b !== undefined) return b;
    }
    const known = [...Object.keys(this.commonDecls), ...Object.keys(this.entityDecls), ...Object.keys(BUILTIN_TYPES)];
    this.error("W2001", `unknown type \`${full}\``, name.span, didYouMeanHelp(full, known));
    return undefined;
  }

  private resolveTypeExpr(t: TypeExpr, ns: string): Type | undefined {
    switch (t.kind) {
      case "namedType":
        return this.resolveNamed(t.name, ns);
      case "setType": {
        const e = this.resolveTypeExpr(t.element, ns);
        return e === undefined ? undefined : setType(e);
      }
      case "recordType": {
        // NOTE: Cedar accepts a repeated attribute and keeps the last declaration; so do we, with a warning.
        const entries = new Map<string, AttrType>();
        let ok = true;
        for (const a of t.attributes) {
          if (entries.has(a.name))
            this.diagnostics.push({ ...diag("W2007", `attribute \`${a.name}\` is declared twice; the last declaration wins`, a.span), severity: "warning" });
          const at = this.resolveTypeExpr(a.type, ns);
          if (at === undefined) ok = false;
          else entries.set(a.name, { type: at, required: a.required });
        }
        return ok ? recordType(entries) : undefined;
      }
      default:
        return assertNever(t, "type expression");
    }
  }

  private resolveRecord(t: TypeExpr | undefined, ns: string, what: string): RecordType {
    if (t === undefined) return emptyRecord();
    const r = this.resolveTypeExpr(t, ns);
    if (r === undefined) return emptyRecord();
    if (r.kind !== "record") {
      this.error("W2001", `${what} must be a record type`, t.span);
      return emptyRecord();
    }
    return r;
  }

  private resolveEntityName(name: Name, ns: string): string | undefined {
    for (const c of this.candidates(name, ns)) if (lookup(this.entityDecls, c) !== undefined) return c;
    const full = name.path.join("::");
    this.error("W2008", `unknown entity type \`${full}\``, name.span, didYouMeanHelp(full, Object.keys(this.entityDecls)));
    return undefined;
  }

  private entityInfo(name: string, ns: string, d: EntityDecl): EntityTypeInfo {
    const memberOf: string[] = [];
    for (const m of d.memberOf) {
      const r = this.resolveEntityName(m, ns);
      if (r !== undefined && !memberOf.includes(r)) memberOf.push(r);
    }
    const attributes = this.resolveRecord(d.shape, ns, `the attributes of \`${name}\``);
    const info: { -readonly [K in keyof EntityTypeInfo]: EntityTypeInfo[K] } = { name, memberOf: memberOf.sort(), ancestors: [], attributes };
    if (d.tags !== undefined) {
      const tags = this.resolveTypeExpr(d.tags, ns);
      if (tags !== undefined) info.tags = tags;
    }
    if (d.enumValues !== undefined) info.enumValues = [...d.enumValues];
    return info;
  }

  private actionInfo(key: string, d: Declared<ActionDecl> & { type: string; id: string }): ActionInfo {
    const memberOf: string[] = [];
    for (const ref of d.decl.memberOf) {
      const tryTypes = ref.type === undefined ? [qualify(d.ns, "Action")] : [qualify(d.ns, ref.type.path.join("::")), ref.type.path.join("::")];
      const found = tryTypes.map((t) => uidKey(t, ref.id)).find((k) => lookup(this.actionDecls, k) !== undefined);
      if (found === undefined) {
        const shown = uidKey(tryTypes[tryTypes.length - 1]!, ref.id);
        this.error("W2004", `unknown action group \`${shown}\``, ref.span, didYouMeanHelp(shown, Object.keys(this.actionDecls)));
      } else if (!memberOf.includes(found)) memberOf.push(found);
    }
    const info: { -readonly [K in keyof ActionInfo]: ActionInfo[K] } = { type: d.type, id: d.id, key, memberOf: memberOf.sort(), ancestors: [] };
    const at = d.decl.appliesTo;
    if (at !== undefined) {
      const names = (ns: readonly Name[] | undefined): string[] => {
        const out: string[] = [];
        for (const n of ns ?? []) {
          const r = this.resolveEntityName(n, d.ns);
          if (r !== undefined && !out.includes(r)) out.push(r);
        }
        return out;
      };
      const applies: AppliesTo = {
        principals: names(at.principals),
        resources: names(at.resources),
        context: this.resolveRecord(at.context, d.ns, "the context"),
      };
      info.appliesTo = applies;
    }
    return info;
  }

  private computeActionAncestors(actions: Record<string, ActionInfo>): void {
    const result = new Map<string, string[]>();
    const visiting = new Set<string>();
    const reported = new Set<string>();
    const visit = (key: string): string[] => {
      const done = result.get(key);
      if (done !== undefined) return done;
      if (visiting.has(key)) {
        if (!reported.has(key)) {
          reported.add(key);
          const d = lookup(this.actionDecls, key);
          this.error("W2005", `action \`${key}\` is (transitively) a member of itself`, d?.decl.span ?? { start: 0, end: 0 });
        }
        return [];
      }
      visiting.add(key);
      const acc = new Set<string>();
      for (const p of lookup(actions, key)?.memberOf ?? []) {
        acc.add(p);
        for (const q of visit(p)) acc.add(q);
      }
      visiting.delete(key);
      const list = [...acc].sort();
      result.set(key, list);
      return list;
    };
    for (const key of Object.keys(actions)) {
      const anc = visit(key);
      actions[key] = { ...actions[key]!, ancestors: anc.filter((a) => a !== key) };
    }
  }
}

function computeEntityAncestors(types: Record<string, EntityTypeInfo>): void {
  const memo = new Map<string, Set<string>>();
  const visit = (name: string, stack: Set<string>): Set<string> => {
    const done = memo.get(name);
    if (done !== undefined) return done;
    const acc = new Set<string>();
    if (stack.has(name)) return acc;
    stack.add(name);
    for (const p of lookup(types, name)?.memberOf ?? []) {
      acc.add(p);
      for (const q of visit(p, stack)) acc.add(q);
    }
    stack.delete(name);
    memo.set(name, acc);
    return acc;
  };
  for (const name of Object.keys(types)) {
    const anc = [...visit(name, new Set())].sort();
    types[name] = { ...types[name]!, ancestors: anc };
  }
}
