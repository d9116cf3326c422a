/**
 * Templates and links on the AST and during lowering.
 *
 * A template is a policy whose principal or resource scope uses a slot (`?principal`,
 * `?resource`). It is never evaluated: a link names it, gives each of its slots an entity uid
 * and becomes a policy with its own name. Links live beside the policies of a `PolicySet`
 * (`links`), read from a links file or a JSON policy set.
 *
 * Rules (W3031 invalid link, W1041 conflicting names):
 * - a link names a template of the set by its name (`@id`, else `policyN`), not a static
 *   policy, and exactly one template has that name;
 * - a link gives a value to every slot its template uses and to no other slot;
 * - a link's name is not the name of a policy, a template or another link of the set.
 */
import type { EntityRef, LinkDecl, Policy, PolicySet, Scope, SlotRef } from "../lang/ast.js";
import { diag, didYouMeanHelp, type Diagnostic } from "../lang/diagnostics.js";
import type { Span } from "../lang/span.js";
import type { IrEntity, IrLink, IrPolicy, IrSlotValues, IrTemplate, SlotId } from "./ir.js";
import { isValidTypeName } from "../stdlib/index.js";
import { linkTemplate, slotMismatch, templateSlots } from "./link.js";

/** The name of the policy at `index` of a set: its `@id` annotation, else `policyN`. */
export function policyName(p: Policy, index: number): string {
  const idAnn = p.annotations.find((a) => a.name === "id" && a.value !== undefined);
  return idAnn?.value ?? `policy${index}`;
}

function slotOf(s: Scope): SlotRef | undefined {
  const c = s.constraint;
  if ((c.kind === "eq" || c.kind === "in") && c.target.kind === "slot") return c.target;
  if (c.kind === "is" && c.in !== undefined && c.in.kind === "slot") return c.in;
  return undefined;
}

/** True when the policy is a template: its principal or resource scope uses a slot. */
export function isTemplate(p: Policy): boolean {
  return slotOf(p.principal) !== undefined || slotOf(p.resource) !== undefined;
}

/** The slots a template uses (`?principal` before `?resource`); empty for a static policy. */
export function policySlots(p: Policy): SlotId[] {
  const out: SlotId[] = [];
  if (slotOf(p.principal) !== undefined) out.push("?principal");
  if (slotOf(p.resource) !== undefined) out.push("?resource");
  return out;
}

/** The IR form of an entity reference. */
export function irEntityOf(r: EntityRef): IrEntity {
  return { type: r.type.path.join("::"), id: r.id };
}

/** The IR slot values of a link declaration. */
export function linkValues(link: LinkDecl): IrSlotValues {
  const out: { [S in SlotId]?: IrEntity } = {};
  if (link.values.principal !== undefined) out["?principal"] = irEntityOf(link.values.principal);
  if (link.values.resource !== undefined) out["?resource"] = irEntityOf(link.values.resource);
  return out;
}

/** The templates of a set with their names, in set order. */
export function templatesOf(set: PolicySet): { readonly name: string; readonly policy: Policy }[] {
  const out: { name: string; policy: Policy }[] = [];
  set.policies.forEach((p, i) => {
    if (isTemplate(p)) out.push({ name: policyName(p, i), policy: p });
  });
  return out;
}

function substituteScope(s: Scope, value: EntityRef | undefined): Scope {
  const c = s.constraint;
  if (value === undefined) return s;
  const at = (slot: SlotRef): EntityRef => ({ ...value, span: slot.span });
  if ((c.kind === "eq" || c.kind === "in") && c.target.kind === "slot") return { ...s, constraint: { ...c, target: at(c.target) } };
  if (c.kind === "is" && c.in !== undefined && c.in.kind === "slot") return { ...s, constraint: { ...c, in: at(c.in) } };
  return s;
}

/**
 * The static policy a link stands for, on the AST: the template with each slot replaced by
 * the link's entity (keeping the slot's span, so diagnostics point at the template).
 */
export function substituteSlots(template: Policy, link: LinkDecl): Policy {
  return { ...template, principal: substituteScope(template.principal, link.values.principal), resource: substituteScope(template.resource, link.values.resource) };
}

/** A link's template, or a diagnostic saying why there is none. */
function findTemplate(link: LinkDecl, templates: readonly { readonly name: string }[], staticNames: ReadonlySet<string>, span: Span): number | Diagnostic {
  const found: number[] = [];
  templates.forEach((t, i) => {
    if (t.name === link.template) found.push(i);
  });
  if (found.length === 1) return found[0]!;
  if (found.length > 1) return diag("W1041", `link \`${link.name}\`: ${found.length} templates are named \`${link.template}\``, span, "give each template its own `@id`");
  if (staticNames.has(link.template))
    return diag("W3031", `link \`${link.name}\`: \`${link.template}\` is a static policy, not a template`, span, "a template has `?principal` or `?resource` in its scope");
  return diag("W3031", `link \`${link.name}\`: no template is named \`${link.template}\``, span, didYouMeanHelp(link.template, templates.map((t) => t.name)));
}

/**
 * Check the links of a set without a schema: each names one template, fills exactly its
 * slots, and has a name of its own. Returns one entry per link (its template's index in
 * `templates`, or undefined when the link is invalid) and the diagnostics.
 */
export function checkLinks(
  links: readonly LinkDecl[],
  policyNames: readonly string[],
  templates: readonly { readonly name: string; readonly slots: readonly SlotId[] }[],
): { readonly resolved: (number | undefined)[]; readonly diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const taken = new Set([...policyNames, ...templates.map((t) => t.name)]);
  const staticNames = new Set(policyNames);
  const resolved = links.map((link): number | undefined => {
    if (taken.has(link.name)) {
      diagnostics.push(diag("W1041", `link \`${link.name}\`: a policy, template or link of this set already has this name`, link.span, "every policy, template and link needs a name of its own"));
      return undefined;
    }
    taken.add(link.name);
    const t = findTemplate(link, templates, staticNames, link.span);
    if (typeof t !== "number") {
      diagnostics.push(t);
      return undefined;
    }
    const problem = slotMismatch(templates[t]!.slots, linkValues(link));
    if (problem !== undefined) {
      diagnostics.push(diag("W3031", `link \`${link.name}\` of template \`${link.template}\`: ${problem}`, link.span));
      return undefined;
    }
    return t;
  });
  return { resolved, diagnostics };
}

/** Lower the links of a set against its lowered policies and templates (diagnostics into `diags`). */
export function lowerLinks(
  links: readonly LinkDecl[],
  policies: readonly IrPolicy[],
  templates: readonly IrTemplate[],
  diags: Diagnostic[],
): { readonly policies: IrPolicy[]; readonly links: IrLink[] } {
  const slots = templates.map((t) => ({ name: t.name, slots: templateSlots(t) }));
  const checked = checkLinks(links, policies.map((p) => p.name), slots);
  diags.push(...checked.diagnostics);
  const outPolicies: IrPolicy[] = [];
  const outLinks: IrLink[] = [];
  links.forEach((link, i) => {
    const t = checked.resolved[i];
    if (t === undefined) return;
    const values = linkValues(link);
    outPolicies.push(linkTemplate(templates[t]!, link.name, values));
    outLinks.push({ name: link.name, template: link.template, values });
  });
  return { policies: outPolicies, links: outLinks };
}

/** The structural problems of the links of a set (no schema needed): see {@link checkLinks}. */
export function linkProblems(set: PolicySet): { readonly resolved: (Policy | undefined)[]; readonly diagnostics: Diagnostic[] } {
  const templates = templatesOf(set);
  const staticNames: string[] = [];
  set.policies.forEach((p, i) => {
    if (!isTemplate(p)) staticNames.push(policyName(p, i));
  });
  const checked = checkLinks(set.links ?? [], staticNames, templates.map((t) => ({ name: t.name, slots: policySlots(t.policy) })));
  return { resolved: checked.resolved.map((i) => (i === undefined ? undefined : templates[i]!.policy)), diagnostics: checked.diagnostics };
}

/**
 * Validate the links of a set: the structural checks of {@link checkLinks}, then each link's
 * policy (its template with the slots filled, see {@link substituteSlots}) with `validateOne`.
 * Reported are the problems the link adds to its template's own (an unknown entity type, an
 * entity that is not a value of an enumerated type, a policy that can never apply, …),
 * prefixed with the link's name and located at the link (in its links file or JSON set).
 */
export function validateLinks(set: PolicySet, validateOne: (p: Policy) => readonly Diagnostic[]): Diagnostic[] {
  const links = set.links ?? [];
  if (links.length === 0) return [];
  const { resolved, diagnostics } = linkProblems(set);
  const own = new Map<Policy, Set<string>>();
  const key = (d: Diagnostic): string => `${d.code}:${d.span.start}:${d.span.end}:${d.message}`;
  links.forEach((link, i) => {
    const template = resolved[i];
    if (template === undefined) return;
    let base = own.get(template);
    if (base === undefined) own.set(template, (base = new Set(validateOne(template).map(key))));
    for (const d of validateOne(substituteSlots(template, link))) if (!base.has(key(d))) diagnostics.push({ ...d, message: `link \`${link.name}\` of template \`${link.template}\`: ${d.message}`, span: link.span });
  });
  return diagnostics;
}

/** A link to add with {@link addLink}: the policy `name` from template `template` with these slot values. */
export interface NewLink {
  readonly name: string;
  readonly template: string;
  readonly values: IrSlotValues;
}

/**
 * The set with one more link, checked like every link of the set (W3031, W1041); `set` is
 * undefined when the link (or another link of the set) is invalid. Never throws.
 * Validate the result against a schema with `validatePolicies`.
 */
export function addLink(set: PolicySet, link: NewLink): { readonly set: PolicySet | undefined; readonly diagnostics: Diagnostic[] } {
  const span = { start: 0, end: 0 };
  const ref = (e: IrEntity): EntityRef | Diagnostic =>
    isValidTypeName(e.type) ? { kind: "entityRef", type: { kind: "name", path: e.type.split("::"), span }, id: e.id, span } : diag("W3031", `link \`${link.name}\`: \`${e.type}\` is not a valid entity type name`, span);
  const values: { principal?: EntityRef; resource?: EntityRef } = {};
  const bad: Diagnostic[] = [];
  for (const [slot, key] of [["?principal", "principal"], ["?resource", "resource"]] as const) {
    const v = link.values[slot];
    if (v === undefined) continue;
    const r = ref(v);
    if ("code" in r) bad.push(r);
    else values[key] = r;
  }
  if (bad.length > 0) return { set: undefined, diagnostics: bad };
  const decl: LinkDecl = { kind: "link", name: link.name, template: link.template, values, span };
  const next: PolicySet = { ...set, links: [...(set.links ?? []), decl] };
  const { diagnostics } = linkProblems(next);
  return { set: diagnostics.length > 0 ? undefined : next, diagnostics };
}
