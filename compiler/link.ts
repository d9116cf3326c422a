/**
 * Template linking on the IR: a template plus one entity uid per slot makes a policy.
 *
 * - `templateId(t)`: the content id of the template's span-free IR without its name (as for
 *   policies; the `kind: "template"` field keeps a template id apart from every policy id).
 * - `linkId(templateId, values)`: the content id of `{ kind: "link", template, values }`, so a
 *   linked policy's id covers the template id and the slot values, and not the link's name.
 * - `linkTemplate(t, name, values)`: the linked policy: the template with each slot scope
 *   replaced by the constraint it stands for (`== ?s` → `== E`, `in ?s` → `in E`,
 *   `is T in ?s` → `is T in E`), named `name`, with the template's annotations and body.
 *
 * INVARIANT: this module imports only the IR and the hasher, never the parser, so `runtime/`
 * links bundles with it (see `runtime/bundle-links.ts`).
 */
import { contentId, type ContentId } from "./canonical.js";
import { policyHashInput } from "./ids.js";
import type { IrEntity, IrPolicy, IrScope, IrSlotValues, IrTemplate, IrTemplateScope, SlotId } from "./ir.js";

/** Both slots, in the order Cedar lists them. */
export const SLOT_IDS: readonly SlotId[] = ["?principal", "?resource"];

/** The content id of a template (independent of its name, position and source layout). */
export function templateId(template: IrTemplate): ContentId {
  return contentId(policyHashInput(template));
}

/** The slots a template uses, in the order `?principal`, `?resource`. */
export function templateSlots(template: IrTemplate): SlotId[] {
  const out: SlotId[] = [];
  if (template.principal.kind === "slot") out.push("?principal");
  if (template.resource.kind === "slot") out.push("?resource");
  return out;
}

/** The slot values as plain JSON with only the given slots (the form links hash and store). */
export function plainSlotValues(values: IrSlotValues): IrSlotValues {
  const out: { [S in SlotId]?: IrEntity } = {};
  for (const s of SLOT_IDS) {
    const v = values[s];
    if (v !== undefined) out[s] = { type: v.type, id: v.id };
  }
  return out;
}

/** The content id of a link: the template id and the slot values (not the link's name). */
export function linkId(templateContentId: string, values: IrSlotValues): ContentId {
  return contentId({ kind: "link", template: templateContentId, values: plainSlotValues(values) });
}

/**
 * Why `values` cannot fill a template using the slots `used`, or undefined when they can:
 * every slot the template uses needs a value, and no other slot may have one.
 */
export function slotMismatch(used: readonly SlotId[], values: IrSlotValues): string | undefined {
  const missing = used.filter((s) => values[s] === undefined);
  if (missing.length > 0) return `no value for ${missing.map((s) => `\`${s}\``).join(" and ")}`;
  const extra = SLOT_IDS.filter((s) => values[s] !== undefined && !used.includes(s));
  if (extra.length > 0) return `the template has no ${extra.map((s) => `\`${s}\``).join(" or ")} slot`;
  return undefined;
}

function fill(scope: IrTemplateScope, value: IrEntity | undefined): IrScope {
  if (scope.kind !== "slot") return scope;
  if (value === undefined) throw new Error(`INVARIANT: no value for ?${scope.slot}`);
  const entity: IrEntity = { type: value.type, id: value.id };
  switch (scope.op) {
    case "eq":
      return { kind: "eq", entity };
    case "in":
      return { kind: "in", entities: [entity] };
    case "is":
      if (scope.entityType === undefined) throw new Error("INVARIANT: `is ?slot` without a type");
      return { kind: "is", entityType: scope.entityType, in: entity };
  }
}

/**
 * The policy `name` made from `template` with `values`. Throws only on a broken caller
 * invariant: check {@link slotMismatch} first.
 */
export function linkTemplate(template: IrTemplate, name: string, values: IrSlotValues): IrPolicy {
  const problem = slotMismatch(templateSlots(template), values);
  if (problem !== undefined) throw new Error(`INVARIANT: ${problem}`);
  const policy: IrPolicy = {
    kind: "policy",
    name,
    effect: template.effect,
    annotations: template.annotations,
    principal: fill(template.principal, values["?principal"]),
    action: template.action,
    resource: fill(template.resource, values["?resource"]),
    conditions: template.conditions,
    ...(template.obligations === undefined ? {} : { obligations: template.obligations }),
    ...(template.span === undefined ? {} : { span: template.span }),
  };
  return policy;
}
