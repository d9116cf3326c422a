/**
 * docs/cli.md cannot drift from the command definitions: its reference section
 * is exactly what `cliReference` generates from `buildProgram` (regenerate with
 * `npm run docs:cli`), every command has a prose section, and every output
 * format a command offers is described.
 */
import { readFileSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { buildProgram, exitCodesOf } from "../../cli/main.js";
import { cliReference, commandPath, leafCommands, REFERENCE_BEGIN, REFERENCE_END, withReference } from "../../cli/reference.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CLI_MD = readFileSync(join(ROOT, "docs", "cli.md"), "utf8");
const program = buildProgram({ out: () => undefined, err: () => undefined }, { code: 0 });
const prose = CLI_MD.slice(0, CLI_MD.indexOf(REFERENCE_BEGIN));

describe("docs/cli.md", () => {
  it("holds exactly the generated reference (run `npm run docs:cli` after changing a command)", () => {
    expect(CLI_MD.indexOf(REFERENCE_END)).toBeGreaterThan(CLI_MD.indexOf(REFERENCE_BEGIN));
    expect(CLI_MD).toBe(withReference(CLI_MD, cliReference(program)));
  });

  it("the reference lists every command, argument and option", () => {
    const reference = cliReference(program);
    const leaves = leafCommands(program);
    expect(leaves.map(commandPath)).toEqual(expect.arrayContaining(["writ check", "writ eval", "writ compile", "writ keygen", "writ fmt", "writ test", "writ diff", "writ init", "writ demo", "writ lineage verify", "writ lineage prove", "writ lineage verify-proof", "writ lineage show", "writ lineage replay", "writ lineage export", "writ playground"]));
    for (const c of leaves) {
      expect(reference).toContain(`### \`${commandPath(c)}`);
      for (const o of c.options) expect(reference, `${commandPath(c)} ${o.flags}`).toContain(`| \`${o.flags}\` |`);
      for (const a of c.registeredArguments) expect(reference, `${commandPath(c)} ${a.name()}`).toContain(`| \`${a.name()}\` |`);
    }
  });

  it.each(leafCommands(program).map((c) => [commandPath(c), c] as const))("%s documents its exit codes, and 2 for bad usage", (_n, c) => {
    const exits = exitCodesOf(c);
    expect(exits, "give the command its exit codes in buildProgram").toBeDefined();
    expect(exits!.map(([code]) => code)).toContain(0);
    expect(exits!.map(([code]) => code)).toContain(2);
  });

  it.each(leafCommands(program).map((c) => [commandPath(c), c] as const))("%s is described in the prose, with each of its output formats", (path, c) => {
    expect(prose, `no prose mentions \`${path}\``).toContain(`\`${path}`.replace(/^`writ lineage \w.*/, "`writ lineage`"));
    const format = c.options.find((o) => o.long === "--format");
    for (const choice of format?.argChoices ?? []) if (choice !== "text") expect(prose, `${path} --format ${choice}`).toContain(`--format ${choice}`);
  });
});
