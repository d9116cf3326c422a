/**
 * `npm run docs:cli`: write the command reference of docs/cli.md (the part
 * between its generated-reference markers) from the commander definitions, as
 * built in dist/ (cli/reference.ts). test/docs/cli-reference.test.ts fails when
 * docs/cli.md differs from what this writes.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./build.mjs";

const { cliReference, withReference } = await import(join(ROOT, "dist", "cli", "reference.js"));
const file = join(ROOT, "docs", "cli.md");
const before = readFileSync(file, "utf8");
const after = withReference(before, cliReference());
if (after !== before) writeFileSync(file, after);
process.stdout.write(after === before ? "docs/cli.md is up to date\n" : "docs/cli.md: reference rewritten\n");
