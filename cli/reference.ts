/**
 * The command reference of docs/cli.md, generated from the commander
 * definitions (`buildProgram`) so it cannot drift from the code: every
 * command with its arguments, options (defaults, choices: the output formats)
 * and exit codes, and the exit-code table. `npm run docs:cli` writes it into
 * docs/cli.md between `REFERENCE_BEGIN` and `REFERENCE_END`; a test fails when
 * the file differs from what this module generates.
 */
import type { Command, Option } from "commander";
import { EXIT_CODES } from "./io.js";
import { buildProgram, exitCodesOf } from "./main.js";

/** The line that opens the generated section of docs/cli.md. */
export const REFERENCE_BEGIN = "<!-- BEGIN GENERATED REFERENCE: npm run docs:cli writes this part from the commander definitions; do not edit it by hand -->";
/** The line that closes it. */
export const REFERENCE_END = "<!-- END GENERATED REFERENCE -->";

/** Markdown text outside code spans: `<` escaped (it would start an HTML tag), on one line. */
function prose(s: string): string {
  return s
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/</g, "&lt;")))
    .join("")
    .replace(/\s*\n\s*/g, " ");
}

/** Markdown table cell text: prose with pipes escaped. */
function cell(s: string): string {
  return prose(s).replace(/\|/g, "\\|");
}

function optionRow(o: Option): string {
  const notes: string[] = [];
  if (o.argChoices !== undefined) notes.push(`one of ${o.argChoices.map((c) => `\`${c}\``).join(", ")}`);
  if (o.defaultValue !== undefined && o.defaultValue !== false) notes.push(`default \`${String(o.defaultValue)}\``);
  if (o.mandatory) notes.push("required");
  const meaning = notes.length === 0 ? o.description : `${o.description} (${notes.join("; ")})`;
  return `| \`${o.flags.replace(/\|/g, "\\|")}\` | ${cell(meaning)} |`;
}

/** The full name of a command: `writ lineage verify`. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** Every command that runs (leaves of the tree: `lineage` itself only groups), in definition order. */
export function leafCommands(program: Command): Command[] {
  const out: Command[] = [];
  const visit = (c: Command): void => {
    for (const sub of c.commands) {
      if (sub.name() === "help") continue;
      if (sub.commands.length > 0) visit(sub);
      else out.push(sub);
    }
  };
  visit(program);
  return out;
}

function commandSection(cmd: Command): string {
  const args = cmd.registeredArguments.map((a) => (a.required ? `<${a.name()}${a.variadic ? "..." : ""}>` : `[${a.name()}${a.variadic ? "..." : ""}]`));
  const about = prose(cmd.description());
  const lines = [`### \`${[commandPath(cmd), ...args].join(" ")}\``, "", `${about.charAt(0).toUpperCase()}${about.slice(1)}.`, ""];
  if (cmd.registeredArguments.length > 0) {
    lines.push("| argument | meaning |", "|---|---|");
    for (const a of cmd.registeredArguments) lines.push(`| \`${a.name()}\` | ${cell(a.description)} |`);
    lines.push("");
  }
  const options = cmd.options.filter((o) => !o.hidden);
  if (options.length > 0) {
    lines.push("| option | meaning |", "|---|---|", ...options.map(optionRow), "");
  }
  const exits = exitCodesOf(cmd);
  if (exits !== undefined) lines.push(`Exit codes: ${exits.map(([c, m]) => `**${c}** ${prose(m)}`).join("; ")}.`, "");
  return lines.join("\n");
}

/** The generated reference (without the markers), for the program `buildProgram` makes. */
export function cliReference(program: Command = buildProgram({ out: () => undefined, err: () => undefined }, { code: 0 })): string {
  const lines = [
    "## Reference",
    "",
    "### Exit codes",
    "",
    "| code | meaning |",
    "|---|---|",
    ...EXIT_CODES.map((e) => `| ${e.code} | ${cell(e.meaning)} |`),
    "",
    "### Global options",
    "",
    "| option | meaning |",
    "|---|---|",
    ...program.options.map(optionRow),
    "| `-h, --help` | display help for the command (`writ <command> --help`) |",
    "",
    ...leafCommands(program).map(commandSection),
  ];
  return lines.join("\n").replace(/\n+$/, "\n");
}

/** `text` with its generated section replaced by `reference` (markers kept). */
export function withReference(text: string, reference: string): string {
  const begin = text.indexOf(REFERENCE_BEGIN);
  const end = text.indexOf(REFERENCE_END);
  if (begin < 0 || end < begin) throw new Error("docs/cli.md has no generated reference section (its BEGIN/END markers are missing)");
  return `${text.slice(0, begin)}${REFERENCE_BEGIN}\n\n${reference}\n${text.slice(end)}`;
}
