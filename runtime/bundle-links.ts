/**
 * The templates and template links of a bundle, on the service side: strict shape, every
 * template id and link id recomputed, and each link expanded to the policy it stands for.
 *
 * Refusals (thrown as {@link ShapeError}, which the loader reports as W6105, or returned):
 * - W6105 malformed: a template that is not a template IR (or is in `policies`: bundles
 *   written before templates were linked compiled a template as an always-erroring policy;
 *   they are refused, never loaded with changed decisions), a link whose template is not in
 *   the bundle, whose slot values do not fill exactly the template's slots, or a name used
 *   twice among policies, templates and links;
 * - W6102 a template's IR does not hash to its id, a link's id is not the hash of its
 *   template id and values, or a link's `templateId` is not its template's id.
 *
 * INVARIANT: imports nothing of the parser (the runtime embeds it; see `compiler/link.ts`).
 */
import { sortPolicyRefs } from "../compiler/ids.js";
import type { IrEntity, IrPolicy, IrSlotValues, IrTemplate, SlotId } from "../compiler/ir.js";
import { linkId, linkTemplate, plainSlotValues, SLOT_IDS, slotMismatch, templateId, templateSlots } from "../compiler/link.js";
import type { BundleLink, BundleTemplate } from "../compiler/bundle.js";
import type { DiagnosticCode } from "../compiler/compile-ir.js";
import { checkPolicyIr, fields, isObj, ShapeError, str } from "./bundle-shape.js";

/** Optional top-level fields of a bundle with templates. */
export const LINK_FIELDS = ["templates", "links"] as const;

/** One template of a loaded bundle. */
export interface LoadedTemplate {
  readonly name: string;
  readonly id: string;
  readonly ir: IrTemplate;
}

/** One link of a loaded bundle: the linked policy (`ir`), and where it came from. */
export interface LoadedLink {
  readonly name: string;
  /** The link id (covers the template id and the slot values). */
  readonly id: string;
  readonly template: string;
  readonly templateId: string;
  readonly values: IrSlotValues;
  /** The linked policy, named after the link. */
  readonly ir: IrPolicy;
}

/** The templates and links of a bundle, or why the bundle is refused. */
export type TemplatesResult =
  | { readonly ok: true; readonly templates: LoadedTemplate[]; readonly links: LoadedLink[] }
  | { readonly ok: false; readonly code: DiagnosticCode; readonly message: string };

function entity(x: unknown, path: string): IrEntity {
  const o = fields(x, path, ["type", "id"]);
  return { type: str(o["type"], `${path}/type`), id: str(o["id"], `${path}/id`) };
}

function slotValues(x: unknown, path: string): IrSlotValues {
  const o = fields(x, path, [], SLOT_IDS);
  const out: { [S in SlotId]?: IrEntity } = {};
  for (const s of SLOT_IDS) if (o[s] !== undefined) out[s] = entity(o[s], `${path}/${s}`);
  return out;
}

/** A template scope must say exactly what its op needs: `is` has a type, `==` and `in` none. */
function checkSlotOps(ir: IrTemplate, path: string): void {
  for (const v of ["principal", "resource"] as const) {
    const s = ir[v];
    if (s.kind === "slot" && (s.slot !== v || (s.op === "is") !== (s.entityType !== undefined)))
      throw new ShapeError(`${path}/${v}`, "a slot scope names its own variable and has a type exactly with `is`");
  }
  if (ir.principal.kind !== "slot" && ir.resource.kind !== "slot") throw new ShapeError(path, "a template has at least one slot");
}

/**
 * Read, check and link the `templates` and `links` of a bundle. `taken` holds the names of
 * the bundle's policies. Throws {@link ShapeError} on a malformed shape.
 */
export function readTemplatesAndLinks(top: Readonly<Record<string, unknown>>, taken: ReadonlySet<string>): TemplatesResult {
  const tJson = top["templates"];
  const lJson = top["links"];
  if (tJson === undefined && lJson === undefined) return { ok: true, templates: [], links: [] };
  if (!Array.isArray(tJson) || !Array.isArray(lJson)) throw new ShapeError("/templates", "`templates` and `links` are arrays, present together");
  const names = new Set(taken);
  const claim = (name: string, path: string): void => {
    if (names.has(name)) throw new ShapeError(path, `the name \`${name}\` is used twice among policies, templates and links`);
    names.add(name);
  };
  const templates: LoadedTemplate[] = [];
  const byName = new Map<string, LoadedTemplate>();
  for (let i = 0; i < tJson.length; i++) {
    const path = `/templates/${i}`;
    const t = fields(tJson[i], path, ["name", "id", "ir"]);
    const name = str(t["name"], `${path}/name`);
    const id = str(t["id"], `${path}/id`);
    checkPolicyIr(t["ir"], `${path}/ir`, "template");
    const ir = t["ir"] as unknown as IrTemplate;
    checkSlotOps(ir, `${path}/ir`);
    if (ir.name !== name) throw new ShapeError(`${path}/ir/name`, `the IR of template \`${name}\` is named \`${ir.name}\``);
    claim(name, `${path}/name`);
    const actual = templateId(ir);
    if (actual !== id) return { ok: false, code: "W6102", message: `template \`${name}\`: its IR hashes to ${actual}, not to the stated id ${id}` };
    const lt = { name, id, ir };
    templates.push(lt);
    byName.set(name, lt);
  }
  const links: LoadedLink[] = [];
  for (let i = 0; i < lJson.length; i++) {
    const path = `/links/${i}`;
    const l = fields(lJson[i], path, ["name", "id", "template", "templateId", "values"]);
    const name = str(l["name"], `${path}/name`);
    const id = str(l["id"], `${path}/id`);
    const template = str(l["template"], `${path}/template`);
    const tId = str(l["templateId"], `${path}/templateId`);
    const values = slotValues(l["values"], `${path}/values`);
    claim(name, `${path}/name`);
    const t = byName.get(template);
    if (t === undefined) throw new ShapeError(`${path}/template`, `link \`${name}\` names no template of the bundle (\`${template}\`)`);
    const problem = slotMismatch(templateSlots(t.ir), values);
    if (problem !== undefined) throw new ShapeError(`${path}/values`, `link \`${name}\`: ${problem}`);
    if (tId !== t.id) return { ok: false, code: "W6102", message: `link \`${name}\`: its template \`${template}\` has the id ${t.id}, not ${tId}` };
    const actual = linkId(t.id, values);
    if (actual !== id) return { ok: false, code: "W6102", message: `link \`${name}\`: its template id and values hash to ${actual}, not to the stated id ${id}` };
    links.push({ name, id, template, templateId: tId, values, ir: linkTemplate(t.ir, name, values) });
  }
  return { ok: true, templates, links };
}

/**
 * The `templates` and `links` fields of a loaded bundle as stored (plain JSON, bundle
 * order), or nothing when it has none: what writing the bundle back out needs.
 */
export function templateFields(loaded: { readonly templates?: readonly LoadedTemplate[]; readonly links?: readonly LoadedLink[] }): { templates?: BundleTemplate[]; links?: BundleLink[] } {
  const templates = loaded.templates ?? [];
  const links = loaded.links ?? [];
  if (templates.length === 0 && links.length === 0) return {};
  return {
    templates: sortPolicyRefs(templates).map((t) => ({ name: t.name, id: t.id, ir: t.ir })),
    links: sortPolicyRefs(links).map((l) => ({ name: l.name, id: l.id, template: l.template, templateId: l.templateId, values: plainSlotValues(l.values) })),
  };
}

/** True when `x` is a policy IR with a slot scope (a template compiled by an older writ). */
export function isSlotPolicy(x: unknown): boolean {
  return isObj(x) && ["principal", "resource"].some((v) => isObj(x[v]) && (x[v] as Record<string, unknown>)["kind"] === "slot");
}
