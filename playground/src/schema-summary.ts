/**
 * A flat view of a parsed schema for the editor: qualified entity types with their
 * attributes, actions as policy references, and context attributes. It feeds
 * completion and the hover's light type inference; it does not validate anything
 * (the compiler's `loadSchema` does).
 */
import type { Name } from "../../lang/ast.js";
import type { AttrDecl, Declaration, SchemaFile, TypeExpr } from "../../lang/schema-ast.js";
import { assertNever } from "../../lang/span.js";
import type { SchemaSummary } from "./protocol.js";

/** The summary plus the type expressions the hover needs. */
export interface SchemaModel {
  readonly summary: SchemaSummary;
  /** Attribute declarations per qualified entity type. */
  readonly entityAttrs: ReadonlyMap<string, readonly AttrDecl[]>;
  /** Tag type per qualified entity type. */
  readonly entityTags: ReadonlyMap<string, TypeExpr>;
  /** Common types by qualified and by bare name. */
  readonly commonTypes: ReadonlyMap<string, TypeExpr>;
  /** Context attributes of all actions. */
  readonly contextAttrs: readonly AttrDecl[];
  /** Qualified entity types that may be the principal / resource of some action. */
  readonly principalTypes: readonly string[];
  readonly resourceTypes: readonly string[];
}

function qualify(ns: string, name: string): string {
  return ns === "" ? name : `${ns}::${name}`;
}

function nameText(n: Name): string {
  return n.path.join("::");
}

/** Source-like text of a type expression: `Set<String>`, `{ a: Long, b?: Bool }`. */
export function typeText(t: TypeExpr): string {
  switch (t.kind) {
    case "namedType":
      return nameText(t.name);
    case "setType":
      return `Set<${typeText(t.element)}>`;
    case "recordType":
      return `{ ${t.attributes.map((a) => `${a.name}${a.required ? "" : "?"}: ${typeText(a.type)}`).join(", ")} }`;
    default:
      return assertNever(t, "type expression");
  }
}

/** Build the model; an absent schema gives an empty model. */
export function schemaModel(file: SchemaFile | undefined): SchemaModel {
  const entityTypes: string[] = [];
  const entityAttrs = new Map<string, readonly AttrDecl[]>();
  const entityTags = new Map<string, TypeExpr>();
  const commonTypes = new Map<string, TypeExpr>();
  const actions: string[] = [];
  const contextAttrs: AttrDecl[] = [];
  const principalTypes = new Set<string>();
  const resourceTypes = new Set<string>();
  const pendingContexts: { ns: string; type: TypeExpr }[] = [];

  const visit = (ns: string, d: Declaration): void => {
    switch (d.kind) {
      case "entityDecl":
        for (const n of d.names) {
          const q = qualify(ns, n);
          entityTypes.push(q);
          if (d.shape !== undefined && d.shape.kind === "recordType") entityAttrs.set(q, d.shape.attributes);
          if (d.tags !== undefined) entityTags.set(q, d.tags);
        }
        return;
      case "actionDecl":
        for (const n of d.names) actions.push(`${qualify(ns, "Action")}::${JSON.stringify(n)}`);
        if (d.appliesTo !== undefined) {
          for (const p of d.appliesTo.principals ?? []) principalTypes.add(resolveEntity(ns, nameText(p)));
          for (const r of d.appliesTo.resources ?? []) resourceTypes.add(resolveEntity(ns, nameText(r)));
          if (d.appliesTo.context !== undefined) pendingContexts.push({ ns, type: d.appliesTo.context });
        }
        return;
      case "typeDecl":
        commonTypes.set(qualify(ns, d.name), d.type);
        if (!commonTypes.has(d.name)) commonTypes.set(d.name, d.type);
        return;
      case "obligationDecl":
        return;
      default:
        return assertNever(d, "schema declaration");
    }
  };
  const declaredEntities = new Set<string>();
  const resolveEntity = (ns: string, n: string): string => (declaredEntities.has(qualify(ns, n)) ? qualify(ns, n) : n);

  if (file !== undefined) {
    // Entity names first, so that appliesTo references resolve against their namespace.
    for (const item of file.items) {
      const ns = item.kind === "namespaceDecl" ? nameText(item.name) : "";
      const decls = item.kind === "namespaceDecl" ? item.declarations : [item];
      for (const d of decls) if (d.kind === "entityDecl") for (const n of d.names) declaredEntities.add(qualify(ns, n));
    }
    for (const item of file.items) {
      if (item.kind === "namespaceDecl") for (const d of item.declarations) visit(nameText(item.name), d);
      else visit("", item);
    }
  }
  const seen = new Set<string>();
  for (const { ns, type } of pendingContexts) {
    let t: TypeExpr | undefined = type;
    if (t.kind === "namedType") t = commonTypes.get(qualify(ns, nameText(t.name))) ?? commonTypes.get(nameText(t.name));
    if (t === undefined || t.kind !== "recordType") continue;
    for (const a of t.attributes) {
      if (seen.has(a.name)) continue;
      seen.add(a.name);
      contextAttrs.push(a);
    }
  }
  const attributes: Record<string, { name: string; type: string; required: boolean }[]> = {};
  for (const [t, attrs] of entityAttrs) attributes[t] = attrs.map((a) => ({ name: a.name, type: typeText(a.type), required: a.required }));
  return {
    summary: {
      entityTypes,
      attributes,
      actions,
      contextAttributes: contextAttrs.map((a) => ({ name: a.name, type: typeText(a.type), required: a.required })),
      principalTypes: [...principalTypes],
      resourceTypes: [...resourceTypes],
    },
    entityAttrs,
    entityTags,
    commonTypes,
    contextAttrs,
    principalTypes: [...principalTypes],
    resourceTypes: [...resourceTypes],
  };
}
