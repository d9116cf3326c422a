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
import { findLoneSurrogate } from "./canonical.js";
import { mergeRuleOf } from "./governance.js";
import { uidKey, type ActionInfo, type AppliesTo, type EntityTypeInfo, type Schema } from "./schema-model.js";
import { BOOL, dict, emptyRecord, entityType, extensionType, lookup, LONG, recordType, setType, STRING, type AttrType, type RecordType, type Type } from "./types.js";

/** The schema model and its helpers, re-exported for callers that only import this module. */
export {
  actionAncestors,
  actionInfo,
  actionIsIn,
  allEntityTypeNames,
  entityTypeAncestors,
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

/**
 * Deepest type a schema may hold once common types are expanded (a chain of common types
 * can nest deeper than any one written type). Keeps every later walk over types, and the
 * canonical JSON of a bundle's schema, far from the stack and depth limits.
 */
export const MAX_SCHEMA_TYPE_DEPTH = 200;

/**
 * Most type nodes a loaded schema may hold once common types are expanded (every use of a
 * common type is a copy in the model, the schema id and a bundle): without a bound, a few
 * lines of common types that each use the previous one twice expand exponentially.
 */
export const MAX_SCHEMA_TYPE_NODES = 200_000;

/** Depth and expanded node count of a resolved type. */
interface TypeSize {
  readonly depth: number;
  readonly nodes: number;
}

const LEAF: TypeSize = { depth: 1, nodes: 1 };

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
  /** Depth and node count of every set and record type built here (leaves are {@link LEAF}). */
  private readonly sizes = new WeakMap<Type, TypeSize>();
  /** Type nodes placed in the model so far (see {@link MAX_SCHEMA_TYPE_NODES}). */
  private modelNodes = 0;
  private tooLarge = false;

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
    this.resolveCommonTypes();
    const entityTypes = dict<EntityTypeInfo>();
    for (const [name, { ns, decl }] of Object.entries(this.entityDecls)) entityTypes[name] = this.entityInfo(name, ns, decl);
    const actions = dict<ActionInfo>();
    for (const [key, d] of Object.entries(this.actionDecls)) actions[key] = this.actionInfo(key, d);
    this.checkActionCycles(actions);
    const actionTypes = [...new Set(Object.values(actions).map((a) => a.type))].sort();
    const obligations = this.obligationTypes();
    const schema: Schema = { entityTypes, actions, actionTypes, commonTypes: this.commonTypes, ...(obligations === undefined ? {} : { obligations }) };
    // A lone surrogate (possible in a JSON schema or a hand-built AST) has no UTF-8 form: no schema id.
    const bad = findLoneSurrogate(schema);
    if (bad !== undefined) this.error("W1020", `a name or value of the schema contains a lone UTF-16 surrogate, which is not valid Unicode text (at ${bad.path})`, { start: 0, end: 0 });
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
      const t = this.resolveTop(decl.type, ns);
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

  /**
   * The common type a reference names, when it names one: the same search as
   * {@link resolveNamed}, stopping at the first candidate that is declared at all.
   */
  private commonTarget(name: Name, ns: string): string | undefined {
    if (name.path.length === 2 && name.path[0] === "__cedar" && lookup(BUILTIN_TYPES, name.path[1]!) !== undefined) return undefined;
    for (const c of this.candidates(name, ns)) {
      if (lookup(this.commonDecls, c) !== undefined) return c;
      if (lookup(this.entityDecls, c) !== undefined) return undefined;
    }
    return undefined;
  }

  /** The common types that common type `name` refers to, with the span of each reference, in source order. */
  private commonRefs(name: string): { readonly target: string; readonly span: Span }[] {
    const d = this.commonDecls[name]!;
    const out: { target: string; span: Span }[] = [];
    const stack: TypeExpr[] = [d.decl.type];
    while (stack.length > 0) {
      const t = stack.pop()!;
      switch (t.kind) {
        case "namedType": {
          const target = this.commonTarget(t.name, d.ns);
          if (target !== undefined) out.push({ target, span: t.name.span });
          break;
        }
        case "setType":
          stack.push(t.element);
          break;
        case "recordType":
          for (let i = t.attributes.length - 1; i >= 0; i--) stack.push(t.attributes[i]!.type);
          break;
        default:
          assertNever(t, "type expression");
      }
    }
    return out;
  }

  /**
   * Resolve every common type, each after the common types it refers to (an iterative
   * depth-first walk, so a chain of thousands of aliases needs no deep recursion). A
   * reference back into the walk's current path is a cycle (W2006); a common type that
   * depends on a cyclic or failed one stays unresolved without a second diagnostic.
   */
  private resolveCommonTypes(): void {
    const state = new Map<string, "open" | "done">();
    for (const root of Object.keys(this.commonDecls)) {
      if (state.has(root)) continue;
      const stack = [{ name: root, refs: this.commonRefs(root), next: 0 }];
      state.set(root, "open");
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        const ref = top.refs[top.next];
        if (ref !== undefined) {
          top.next++;
          const s = state.get(ref.target);
          if (s === undefined) {
            state.set(ref.target, "open");
            stack.push({ name: ref.target, refs: this.commonRefs(ref.target), next: 0 });
          } else if (s === "open") this.error("W2006", `common type \`${ref.target}\` refers to itself`, ref.span);
          continue;
        }
        stack.pop();
        state.set(top.name, "done");
        const d = this.commonDecls[top.name]!;
        const t = this.resolveTop(d.decl.type, d.ns);
        if (t !== undefined) {
          this.commonTypes[top.name] = t;
          this.count(t, d.decl.span);
        }
      }
    }
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
      // Common types are resolved first (dependencies before uses); a missing one failed or is cyclic, already reported.
      if (lookup(this.commonDecls, c) !== undefined) return lookup(this.commonTypes, c);
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

  /**
   * Resolve a type expression as written at the top of a declaration: its written nesting is
   * checked first, iteratively, so that the recursive resolution below stays shallow even for
   * a hand-built or JSON-read AST (W2011).
   */
  private resolveTop(t: TypeExpr, ns: string): Type | undefined {
    let deepest = 0;
    const stack: { t: TypeExpr; d: number }[] = [{ t, d: 1 }];
    while (stack.length > 0) {
      const top = stack.pop()!;
      if (top.d > deepest) deepest = top.d;
      if (deepest > MAX_SCHEMA_TYPE_DEPTH) break;
      if (top.t.kind === "setType") stack.push({ t: top.t.element, d: top.d + 1 });
      else if (top.t.kind === "recordType") for (const a of top.t.attributes) stack.push({ t: a.type, d: top.d + 1 });
    }
    if (deepest > MAX_SCHEMA_TYPE_DEPTH) {
      this.error("W2011", `type nested too deeply (more than ${MAX_SCHEMA_TYPE_DEPTH} levels)`, t.span, "name the inner parts as common types");
      return undefined;
    }
    return this.resolveTypeExpr(t, ns);
  }

  private sizeOf(t: Type): TypeSize {
    return this.sizes.get(t) ?? LEAF;
  }

  /** Record the size of a freshly built set or record type; W2011 / W2012 (and undefined) when it is too deep or too large. */
  private sized<T extends Type>(t: T, depth: number, nodes: number, span: Span): T | undefined {
    if (depth > MAX_SCHEMA_TYPE_DEPTH) {
      this.error("W2011", `type nested too deeply once common types are expanded (more than ${MAX_SCHEMA_TYPE_DEPTH} levels)`, span, "a chain of common types nests each one inside the next: shorten the chain");
      return undefined;
    }
    if (nodes > MAX_SCHEMA_TYPE_NODES) {
      this.tooLargeAt(span);
      return undefined;
    }
    this.sizes.set(t, { depth, nodes });
    return t;
  }

  private tooLargeAt(span: Span): void {
    if (this.tooLarge) return;
    this.tooLarge = true;
    this.error("W2012", `schema too large once common types are expanded (more than ${MAX_SCHEMA_TYPE_NODES} type nodes)`, span, "every use of a common type is a copy in the loaded schema: use fewer or smaller common types");
  }

  /** Count the nodes of a type placed in the model (W2012 once the total exceeds the limit). */
  private count(t: Type | undefined, span: Span): void {
    if (t === undefined) return;
    this.modelNodes += this.sizeOf(t).nodes;
    if (this.modelNodes > MAX_SCHEMA_TYPE_NODES) this.tooLargeAt(span);
  }

  private resolveTypeExpr(t: TypeExpr, ns: string): Type | undefined {
    switch (t.kind) {
      case "namedType":
        return this.resolveNamed(t.name, ns);
      case "setType": {
        const e = this.resolveTypeExpr(t.element, ns);
        if (e === undefined) return undefined;
        const s = this.sizeOf(e);
        return this.sized(setType(e), s.depth + 1, s.nodes + 1, t.span);
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
        if (!ok) return undefined;
        let depth = 1;
        let nodes = 1;
        for (const a of entries.values()) {
          const s = this.sizeOf(a.type);
          depth = Math.max(depth, s.depth + 1);
          nodes += s.nodes;
        }
        return this.sized(recordType(entries), depth, nodes, t.span);
      }
      default:
        return assertNever(t, "type expression");
    }
  }

  private resolveRecord(t: TypeExpr | undefined, ns: string, what: string): RecordType {
    if (t === undefined) return emptyRecord();
    const r = this.resolveTop(t, ns);
    if (r === undefined) return emptyRecord();
    if (r.kind !== "record") {
      this.error("W2001", `${what} must be a record type`, t.span);
      return emptyRecord();
    }
    this.count(r, t.span);
    return r;
  }

  private resolveEntityName(name: Name, ns: string): string | undefined {
    for (const c of this.candidates(name, ns)) if (lookup(this.entityDecls, c) !== undefined) return c;
    const full = name.path.join("::");
    this.error("W2008", `unknown entity type \`${full}\``, name.span, didYouMeanHelp(full, Object.keys(this.entityDecls)));
    return undefined;
  }

  /** Resolve entity type names, dropping unknown ones (reported) and repeats; in first-seen order. */
  private entityNames(names: readonly Name[], ns: string): string[] {
    const out = new Set<string>();
    for (const n of names) {
      const r = this.resolveEntityName(n, ns);
      if (r !== undefined) out.add(r);
    }
    return [...out];
  }

  private entityInfo(name: string, ns: string, d: EntityDecl): EntityTypeInfo {
    const memberOf = this.entityNames(d.memberOf, ns).sort();
    const attributes = this.resolveRecord(d.shape, ns, `the attributes of \`${name}\``);
    const info: { -readonly [K in keyof EntityTypeInfo]: EntityTypeInfo[K] } = { name, memberOf, attributes };
    if (d.tags !== undefined) {
      const tags = this.resolveTop(d.tags, ns);
      this.count(tags, d.tags.span);
      if (tags !== undefined) info.tags = tags;
    }
    if (d.enumValues !== undefined) info.enumValues = [...d.enumValues];
    return info;
  }

  private actionInfo(key: string, d: Declared<ActionDecl> & { type: string; id: string }): ActionInfo {
    const memberOf = new Set<string>();
    for (const ref of d.decl.memberOf) {
      const tryTypes = ref.type === undefined ? [qualify(d.ns, "Action")] : [qualify(d.ns, ref.type.path.join("::")), ref.type.path.join("::")];
      const found = tryTypes.map((t) => uidKey(t, ref.id)).find((k) => lookup(this.actionDecls, k) !== undefined);
      if (found === undefined) {
        const shown = uidKey(tryTypes[tryTypes.length - 1]!, ref.id);
        this.error("W2004", `unknown action group \`${shown}\``, ref.span, didYouMeanHelp(shown, Object.keys(this.actionDecls)));
      } else memberOf.add(found);
    }
    const info: { -readonly [K in keyof ActionInfo]: ActionInfo[K] } = { type: d.type, id: d.id, key, memberOf: [...memberOf].sort() };
    const at = d.decl.appliesTo;
    if (at !== undefined) {
      const applies: AppliesTo = {
        principals: this.entityNames(at.principals ?? [], d.ns),
        resources: this.entityNames(at.resources ?? [], d.ns),
        context: this.resolveRecord(at.context, d.ns, "the context"),
      };
      info.appliesTo = applies;
    }
    return info;
  }

  /**
   * W2005 for each action group found on a cycle of `memberOf` (Cedar rejects cyclic action
   * hierarchies). An iterative depth-first walk: a chain of thousands of groups is fine.
   */
  private checkActionCycles(actions: Readonly<Record<string, ActionInfo>>): void {
    const state = new Map<string, "open" | "done">();
    const reported = new Set<string>();
    for (const root of Object.keys(actions)) {
      if (state.has(root)) continue;
      const stack = [{ key: root, next: 0 }];
      state.set(root, "open");
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        const parent = lookup(actions, top.key)?.memberOf[top.next];
        if (parent === undefined) {
          state.set(top.key, "done");
          stack.pop();
          continue;
        }
        top.next++;
        const s = state.get(parent);
        if (s === undefined) {
          state.set(parent, "open");
          stack.push({ key: parent, next: 0 });
        } else if (s === "open" && !reported.has(parent)) {
          reported.add(parent);
          this.error("W2005", `action \`${parent}\` is (transitively) a member of itself`, lookup(this.actionDecls, parent)?.decl.span ?? { start: 0, end: 0 });
        }
      }
    }
  }
}
