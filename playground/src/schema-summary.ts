/**
 * What the schema declares, for completion in the policy editor, rendered from the
 * compiler's resolved schema model (`loadSchema` of `writ/compiler`): qualified names,
 * common types expanded, types printed as the checker prints them. Nothing is resolved
 * here; a schema that does not load gives the empty summary.
 */
import { showType, type Schema, type Type } from "../../compiler/index.js";
import type { SchemaSummary } from "./protocol.js";

/** One attribute of the summary: its name, the checker's printed type and whether it is required. */
type SummaryAttr = SchemaSummary["contextAttributes"][number];

/** The summary of a schema that declares nothing (or does not load). */
export const EMPTY_SUMMARY: SchemaSummary = { entityTypes: [], attributes: {}, actions: [], contextAttributes: [], principalTypes: [], resourceTypes: [] };

function attrsOf(record: Extract<Type, { kind: "record" }>): SummaryAttr[] {
  return Object.entries(record.attrs).map(([name, a]) => ({ name, type: showType(a.type), required: a.required }));
}

/** The summary of a loaded schema, in declaration order; `undefined` (no schema, or one that does not load) gives `EMPTY_SUMMARY`. */
export function schemaSummary(schema: Schema | undefined): SchemaSummary {
  if (schema === undefined) return EMPTY_SUMMARY;
  const attributes: Record<string, SummaryAttr[]> = {};
  for (const [name, info] of Object.entries(schema.entityTypes)) attributes[name] = attrsOf(info.attributes);
  const contextAttributes: SummaryAttr[] = [];
  const seen = new Set<string>();
  const principalTypes = new Set<string>();
  const resourceTypes = new Set<string>();
  for (const action of Object.values(schema.actions)) {
    const at = action.appliesTo;
    if (at === undefined) continue;
    for (const t of at.principals) principalTypes.add(t);
    for (const t of at.resources) resourceTypes.add(t);
    // NOTE: the union over all actions, first declaration of a name wins (completion does not know the action).
    for (const a of attrsOf(at.context)) {
      if (seen.has(a.name)) continue;
      seen.add(a.name);
      contextAttributes.push(a);
    }
  }
  return {
    entityTypes: Object.keys(schema.entityTypes),
    attributes,
    actions: Object.keys(schema.actions),
    contextAttributes,
    principalTypes: [...principalTypes],
    resourceTypes: [...resourceTypes],
  };
}
