/**
 * Cedar's JSON schema format, read into the same `SchemaFile` AST the
 * human-readable parser produces, so `loadSchema` handles both forms.
 * Nodes read from JSON carry empty spans (`{start: 0, end: 0}`).
 *
 * Annotations (on namespaces, common types, entity types, actions and attributes) are kept;
 * Writ's obligations are read from a namespace's `"obligations"` (see `schema-json-write.ts`).
 * An action whose `appliesTo` lists no principal type or no resource type applies to nothing,
 * as an action without `appliesTo` does (the text syntax can only write the latter).
 */
import type { Annotation, Name } from "../lang/ast.js";
import { diag, type Diagnostic } from "../lang/diagnostics.js";
import type { ActionDecl, ActionRef, AttrDecl, Declaration, EntityDecl, NamespaceDecl, ObligationDecl, SchemaFile, TypeDecl, TypeExpr } from "../lang/schema-ast.js";
import type { Span } from "../lang/span.js";
import { MAX_SCHEMA_TYPE_DEPTH } from "./schema.js";

const NO_SPAN: Span = { start: 0, end: 0 };

/** Result of `schemaFromJson`. */
export interface SchemaJsonResult {
  readonly ast: SchemaFile | undefined;
  readonly diagnostics: Diagnostic[];
}

type Json = unknown;

function isObj(x: Json): x is Record<string, Json> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function name(text: string): Name {
  return { kind: "name", path: text.split("::"), span: NO_SPAN };
}

class JsonSchemaReader {
  readonly diagnostics: Diagnostic[] = [];

  fail(message: string): undefined {
    this.diagnostics.push(diag("W2009", message, NO_SPAN));
    return undefined;
  }

  annotations(x: Json, what: string): Annotation[] {
    if (!isObj(x)) return [];
    const a = x["annotations"];
    if (a === undefined) return [];
    if (!isObj(a) || !Object.values(a).every((v) => typeof v === "string" || v === null)) {
      this.fail(`the annotations of ${what} must map names to strings`);
      return [];
    }
    return Object.entries(a).map(([k, v]) => ({ kind: "annotation", name: k, value: typeof v === "string" ? v : undefined, span: NO_SPAN }));
  }

  strings(x: Json, what: string): string[] {
    if (x === undefined) return [];
    if (!Array.isArray(x) || !x.every((s) => typeof s === "string")) {
      this.fail(`${what} must be an array of strings`);
      return [];
    }
    return x as string[];
  }

  type(x: Json, where: string, depth = 1): TypeExpr | undefined {
    // A JSON value built in memory may nest without limit: the loader's bound, checked before recursing.
    if (depth > MAX_SCHEMA_TYPE_DEPTH) return this.fail(`${where}: type nested too deeply (more than ${MAX_SCHEMA_TYPE_DEPTH} levels)`);
    if (!isObj(x) || typeof x["type"] !== "string") return this.fail(`${where}: a type must be an object with a string \`type\``);
    const t = x["type"];
    switch (t) {
      case "Long":
      case "String":
        return { kind: "namedType", name: name(`__cedar::${t}`), span: NO_SPAN };
      case "Boolean":
        return { kind: "namedType", name: name("__cedar::Bool"), span: NO_SPAN };
      case "Set": {
        const el = this.type(x["element"], `${where}.element`, depth + 1);
        return el === undefined ? undefined : { kind: "setType", element: el, span: NO_SPAN };
      }
      case "Record":
        return this.record(x, where, depth);
      case "Entity":
      case "EntityOrCommon":
        if (typeof x["name"] !== "string") return this.fail(`${where}: \`${t}\` needs a string \`name\``);
        return { kind: "namedType", name: name(x["name"]), span: NO_SPAN };
      case "Extension":
        if (typeof x["name"] !== "string") return this.fail(`${where}: \`Extension\` needs a string \`name\``);
        return { kind: "namedType", name: name(`__cedar::${x["name"]}`), span: NO_SPAN };
      default:
        return { kind: "namedType", name: name(t), span: NO_SPAN };
    }
  }

  record(x: Record<string, Json>, where: string, depth = 1): TypeExpr | undefined {
    const attrs = x["attributes"] ?? {};
    if (!isObj(attrs)) return this.fail(`${where}: \`attributes\` must be an object`);
    const attributes: AttrDecl[] = [];
    for (const [k, v] of Object.entries(attrs)) {
      const t = this.type(v, `${where}.${k}`, depth + 1);
      if (t === undefined) return undefined;
      const required = isObj(v) && v["required"] === false ? false : true;
      attributes.push({ kind: "attrDecl", annotations: this.annotations(v, `attribute \`${k}\``), name: k, required, type: t, span: NO_SPAN });
    }
    return { kind: "recordType", attributes, span: NO_SPAN };
  }

  entity(n: string, x: Json): EntityDecl | undefined {
    if (!isObj(x)) return this.fail(`entity type \`${n}\` must be an object`);
    const shape = x["shape"] === undefined ? undefined : this.type(x["shape"], `entity type \`${n}\``);
    const tags = x["tags"] === undefined ? undefined : this.type(x["tags"], `tags of \`${n}\``);
    const enumValues = x["enum"] === undefined ? undefined : this.strings(x["enum"], `enum of \`${n}\``);
    return {
      kind: "entityDecl",
      annotations: this.annotations(x, `entity type \`${n}\``),
      names: [n],
      memberOf: this.strings(x["memberOfTypes"], `memberOfTypes of \`${n}\``).map(name),
      shape,
      tags,
      enumValues,
      span: NO_SPAN,
    };
  }

  action(n: string, x: Json): ActionDecl | undefined {
    if (x === null) x = {};
    if (!isObj(x)) return this.fail(`action \`${n}\` must be an object`);
    const memberOf: ActionRef[] = [];
    const m = x["memberOf"] ?? [];
    if (!Array.isArray(m)) return this.fail(`memberOf of action \`${n}\` must be an array`);
    for (const r of m) {
      if (!isObj(r) || typeof r["id"] !== "string") return this.fail(`memberOf of action \`${n}\`: each entry needs a string \`id\``);
      memberOf.push({ kind: "actionRef", type: typeof r["type"] === "string" ? name(r["type"]) : undefined, id: r["id"], span: NO_SPAN });
    }
    let appliesTo: ActionDecl["appliesTo"];
    const a = x["appliesTo"];
    if (a !== undefined && a !== null) {
      if (!isObj(a)) return this.fail(`appliesTo of action \`${n}\` must be an object`);
      const context = a["context"] === undefined ? undefined : this.type(a["context"], `context of \`${n}\``);
      const principals = this.strings(a["principalTypes"], "principalTypes").map(name);
      const resources = this.strings(a["resourceTypes"], "resourceTypes").map(name);
      if (principals.length > 0 && resources.length > 0) appliesTo = { principals, resources, context, span: NO_SPAN };
    }
    return { kind: "actionDecl", annotations: this.annotations(x, `action \`${n}\``), names: [n], memberOf, appliesTo, span: NO_SPAN };
  }

  namespace(ns: string, x: Json): NamespaceDecl | Declaration[] | undefined {
    if (!isObj(x)) return this.fail(`namespace \`${ns}\` must be an object`);
    const decls: Declaration[] = [];
    const section = (key: string): [string, Json][] => {
      const s = x[key];
      if (s === undefined) return [];
      if (!isObj(s)) {
        this.fail(`\`${key}\` of namespace \`${ns}\` must be an object`);
        return [];
      }
      return Object.entries(s);
    };
    for (const [n, t] of section("commonTypes")) {
      const type = this.type(t, `common type \`${n}\``);
      if (type !== undefined) decls.push({ kind: "typeDecl", annotations: this.annotations(t, `common type \`${n}\``), name: n, type, span: NO_SPAN } satisfies TypeDecl);
    }
    for (const [n, e] of section("entityTypes")) {
      const d = this.entity(n, e);
      if (d !== undefined) decls.push(d);
    }
    for (const [n, a] of section("actions")) {
      const d = this.action(n, a);
      if (d !== undefined) decls.push(d);
    }
    for (const [n, t] of section("obligations")) {
      const type = this.type(t, `obligation \`${n}\``);
      if (type !== undefined) decls.push({ kind: "obligationDecl", annotations: this.annotations(t, `obligation \`${n}\``), name: n, type, span: NO_SPAN } satisfies ObligationDecl);
    }
    if (ns === "") return decls;
    return { kind: "namespaceDecl", annotations: this.annotations(x, `namespace \`${ns}\``), name: name(ns), declarations: decls, span: NO_SPAN };
  }
}

/** Read a Cedar JSON schema (already parsed from text) into a `SchemaFile`. W2009 on malformed input. */
export function schemaFromJson(json: unknown): SchemaJsonResult {
  const r = new JsonSchemaReader();
  if (!isObj(json)) {
    r.fail("a JSON schema must be an object mapping namespace names to namespaces");
    return { ast: undefined, diagnostics: r.diagnostics };
  }
  const items: (NamespaceDecl | Declaration)[] = [];
  for (const [ns, body] of Object.entries(json)) {
    const out = r.namespace(ns, body);
    if (out === undefined) continue;
    if (Array.isArray(out)) for (const x of out) items.push(x);
    else items.push(out);
  }
  const ast: SchemaFile = { kind: "schemaFile", items, comments: [], span: NO_SPAN };
  return { ast: r.diagnostics.length > 0 ? undefined : ast, diagnostics: r.diagnostics };
}
