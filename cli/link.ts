/**
 * Templates on the command line:
 * - `writ link <template> --id <name> --slot '?principal=User::"alice"' … --policies <files…>
 *   --links <file> [--schema <file>] [--json]`: check the link (the template exists, every slot
 *   it uses and no other gets a value; with a schema, the linked policy validates) and add it
 *   to the links file (created when missing). Prints the template id and the link id.
 * - `--links <file>` of check, eval and compile: {@link linkStage} reads and checks the links of
 *   a links file against the policies; `writ check` lists unlinked templates (W3030) and
 *   counts templates apart from policies ({@link templateCounts}).
 *
 * A slot value is a Cedar entity literal (`User::"alice"`, `NS::Doc::"a\"b"`) or Cedar JSON
 * (`{"type": "User", "id": "alice"}`).
 */
import type { Policy, PolicySet } from "../lang/ast.js";
import { diag, hasErrors, withFile, type Diagnostic } from "../lang/diagnostics.js";
import { decodeString } from "../lang/index.js";
import {
  addLink,
  isTemplate,
  linkId,
  linkProblems,
  linksToJson,
  lowerPolicies,
  policyName,
  stripSpans,
  templateId,
  validateLinks,
  validatePolicies,
  type IrEntity,
  type IrSlotValues,
  type Schema,
  type SlotId,
} from "../compiler/index.js";
import { EntityUID, isValidTypeName, parseJsonText, stringifyJson } from "../stdlib/index.js";

import { readLinksFile } from "./formats.js";
import { CliFailure, EXIT_BAD_INPUT, diagnosticLine, fail, readTextFile, writeOutputFile, type Output, type TextFile } from "./io.js";
import { errorLines, mergePolicySets, policiesFrom, schemaFrom, type Staged } from "./pipeline.js";

const ENTITY_LITERAL = /^\s*([_a-zA-Z][_a-zA-Z0-9]*(?:\s*::\s*[_a-zA-Z][_a-zA-Z0-9]*)*)\s*::\s*("(?:[^"\\]|\\[\s\S])*")\s*$/;

/** Read one `--slot` value: a Cedar entity literal or Cedar JSON `{"type", "id"}`. */
export function parseSlotValue(text: string): IrEntity | string {
  if (text.trimStart().startsWith("{")) {
    const r = parseJsonText(text);
    const j = r.ok ? r.value : undefined;
    const o = typeof j === "object" && j !== null && !Array.isArray(j) ? (j as Record<string, unknown>) : undefined;
    const inner = (o?.["__entity"] ?? o) as Record<string, unknown> | undefined;
    if (typeof inner?.["type"] !== "string" || typeof inner["id"] !== "string" || !isValidTypeName(inner["type"])) return 'expected {"type": "…", "id": "…"}';
    return { type: inner["type"], id: inner["id"] };
  }
  const m = ENTITY_LITERAL.exec(text);
  if (m === null) return 'expected an entity such as User::"alice"';
  const type = m[1]!.replace(/\s+/g, "");
  if (!isValidTypeName(type)) return `\`${type}\` is not a valid entity type name`;
  const id = decodeString(m[2]!);
  if (id.errors.length > 0) return `invalid escape \`${id.errors[0]!.text}\` in the entity id`;
  return { type, id: id.value };
}

/** Read the `--slot` options into slot values (W5008 on a malformed one). */
export function parseSlots(slots: readonly string[]): IrSlotValues {
  const out: { [S in SlotId]?: IrEntity } = {};
  for (const s of slots) {
    const eq = s.indexOf("=");
    const slot = eq < 0 ? s : s.slice(0, eq).trim();
    if (slot !== "?principal" && slot !== "?resource") fail("W5008", `invalid --slot \`${s}\`: expected ?principal=<entity> or ?resource=<entity>`, { file: "writ" });
    if (out[slot] !== undefined) fail("W5008", `--slot ${slot} is given twice`, { file: "writ" });
    const v = parseSlotValue(s.slice(eq + 1));
    if (typeof v === "string") fail("W5008", `invalid --slot ${slot}: ${v}`, { file: "writ" });
    out[slot] = v;
  }
  return out;
}

/** The link diagnostics of a set: structural problems, and with a schema those of each linked policy. */
export function linkDiagnostics(set: PolicySet, schema: Schema | undefined): Diagnostic[] {
  if (schema === undefined) return linkProblems(set).diagnostics;
  const one = (p: Policy): Diagnostic[] => validatePolicies({ kind: "policySet", policies: [p], comments: [], span: p.span }, schema).diagnostics;
  return validateLinks(set, one);
}

/**
 * Add the links of the links file `path` (if any) to `set` and check them, reporting against
 * the links file. The value is the set with its links, or undefined on an error.
 */
export function linkStage(set: PolicySet, path: string | undefined, schema: Schema | undefined): Staged<PolicySet> {
  if (path === undefined) return { value: set, diagnostics: [] };
  const file = readTextFile(path);
  const linked: PolicySet = { ...set, links: [...(set.links ?? []), ...readLinksFile(path)] };
  const diagnostics = withFile(linkDiagnostics(linked, schema), file.name);
  return { value: hasErrors(diagnostics) ? undefined : linked, diagnostics, source: file };
}

/** W3030 for each template of `set` that no link of `links` names. */
export function unlinkedNotes(set: PolicySet, linkedTemplates: ReadonlySet<string>): Diagnostic[] {
  const out: Diagnostic[] = [];
  set.policies.forEach((p, i) => {
    const name = policyName(p, i);
    if (isTemplate(p) && !linkedTemplates.has(name))
      out.push(diag("W3030", `template \`${name}\` has no link: it applies to no request until it is linked`, p.span, `writ link ${name} --id <name> --slot ?principal=<entity> …`));
  });
  return out;
}

/** How many static policies, templates and links a set has. */
export function templateCounts(set: PolicySet): { readonly policies: number; readonly templates: number; readonly links: number } {
  const templates = set.policies.filter(isTemplate).length;
  return { policies: set.policies.length - templates, templates, links: set.links?.length ?? 0 };
}

/** Options of `writ link`. */
export interface LinkOptions {
  readonly id: string;
  readonly slot: readonly string[];
  readonly policies: readonly string[];
  readonly links: string;
  readonly schema?: string;
  readonly json?: boolean;
}

function need<T>(s: Staged<T>, file: TextFile | undefined): T {
  if (s.value !== undefined) return s.value;
  throw new CliFailure(errorLines(s, file?.name), EXIT_BAD_INPUT);
}

/** Run `writ link`. */
export function runLink(template: string, opts: LinkOptions, io: Output): number {
  const values = parseSlots(opts.slot);
  const schemaFile = opts.schema === undefined ? undefined : readTextFile(opts.schema);
  const schema = schemaFile === undefined ? undefined : need(schemaFrom(schemaFile), schemaFile);
  const sets = opts.policies.map((p) => {
    const file = readTextFile(p);
    return need(policiesFrom(file), file);
  });
  const existing = readLinksFile(opts.links, true);
  const merged = mergePolicySets(sets);
  const base: PolicySet = { ...merged, links: [...(merged.links ?? []), ...existing] };
  const added = addLink(base, { name: opts.id, template, values });
  const line = (d: Diagnostic): string => diagnosticLine(d, undefined, opts.links);
  if (added.set === undefined) throw new CliFailure(added.diagnostics.filter((d) => d.severity === "error").map(line), EXIT_BAD_INPUT);
  const problems = linkDiagnostics(added.set, schema);
  if (hasErrors(problems)) throw new CliFailure(problems.filter((d) => d.severity === "error").map(line), EXIT_BAD_INPUT);
  for (const d of problems) io.err(`${line(d)}\n`);
  // The links file gets its own links and the new one (not the links of JSON policy sets).
  const written = [...existing, added.set.links![added.set.links!.length - 1]!];
  writeOutputFile(opts.links, `${stringifyJson(linksToJson(written), 2)}\n`, io);
  const t = (lowerPolicies(added.set).ir.templates ?? []).find((x) => x.name === template)!;
  const tId = templateId(stripSpans(t));
  const id = linkId(tId, values);
  if (opts.json === true) io.out(`${stringifyJson({ name: opts.id, id, template, templateId: tId, values: values as never }, 2)}\n`);
  else {
    const shown = Object.entries(values).map(([s, v]) => `${s}=${new EntityUID((v as IrEntity).type, (v as IrEntity).id).key}`);
    io.out(`linked ${opts.id}: template ${template} (${tId}) with ${shown.join(", ")}\nlink ${id}\nwrote ${opts.links}: ${written.length} link${written.length === 1 ? "" : "s"}\n`);
  }
  return 0;
}

/** What `writ check` adds for templates: link problems, unlinked templates (W3030) and the counts. */
export interface TemplateReport {
  readonly found: { readonly d: Diagnostic; readonly source: TextFile }[];
  readonly counts: ReturnType<typeof templateCounts>;
}

/**
 * Check the links of the parsed files (their own JSON `templateLinks` when no schema already
 * validated them, and the links file `linksPath`), and note every template no link names.
 */
export function templateReport(files: readonly { readonly set: PolicySet; readonly file: TextFile }[], linksPath: string | undefined, schema: Schema | undefined): TemplateReport {
  const found: { d: Diagnostic; source: TextFile }[] = [];
  if (schema === undefined) for (const f of files) for (const d of withFile(linkProblems(f.set).diagnostics, f.file.name)) found.push({ d, source: f.file });
  const merged = mergePolicySets(files.map((f) => f.set));
  const stage = linkStage(merged, linksPath, schema);
  if (stage.source !== undefined) for (const d of stage.diagnostics) found.push({ d, source: stage.source });
  const all = stage.value ?? { ...merged, links: [...(merged.links ?? []), ...(linksPath === undefined ? [] : readLinksFile(linksPath))] };
  const linked = new Set((all.links ?? []).map((l) => l.template));
  for (const f of files) for (const d of withFile(unlinkedNotes(f.set, linked), f.file.name)) found.push({ d, source: f.file });
  return { found, counts: templateCounts(all) };
}
