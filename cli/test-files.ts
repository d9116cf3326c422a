/**
 * Cedar integration-test files: discovery, parsing and path resolution.
 *
 * A test file is a JSON object with `policies` (a path) and `requests` (an array),
 * plus `entities`, `schema` (paths) and `shouldValidate` (boolean). A path inside
 * it resolves against the nearest ancestor folder of the JSON file in which the
 * path exists. When walking a folder, JSON files that are not test files (such as
 * `*.entities.json`) are skipped. Writ test files (`*.writ-test.json`, or a
 * top-level `"writ-test"` key) are recognised here and parsed by writ-tests.ts.
 *
 * NOTE: discovery imports no runner: test-runner.ts and writ-tests.ts import this module.
 */
import { existsSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { CliFailure, STDIO_PATH, displayName, fail, ioReason, problemLine, readTextFile, walkFolder, type TextFile } from "./io.js";
import { offsetOfKey, parseJsonFile } from "./json-files.js";
import type { TestRequest } from "./test-outcome.js";

/** The file-name suffix of Writ test files. */
export const WRIT_TEST_SUFFIX = ".writ-test.json";

/** A parsed test file with its referenced paths resolved to absolute paths. */
export interface TestFile {
  readonly file: TextFile;
  readonly policies: string;
  readonly entities: string | undefined;
  readonly schema: string | undefined;
  readonly shouldValidate: boolean | undefined;
  readonly requests: readonly TestRequest[];
}

/** A file found by discovery: either parsed JSON ready to use, or a one-line problem. */
export type Discovered =
  | { readonly kind: "test"; readonly file: TextFile; readonly json: Record<string, unknown> }
  | { readonly kind: "problem"; readonly path: string; readonly line: string };

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** True when a file is a Writ test file: by its name, or by a top-level `"writ-test"` key. */
export function isWritTestFile(path: string, json: unknown): boolean {
  return basename(path).endsWith(WRIT_TEST_SUFFIX) || (isRecord(json) && "writ-test" in json);
}

/** True when parsed JSON has the shape of a test file (`policies` and `requests`). */
export function looksLikeTestFile(json: unknown): json is Record<string, unknown> {
  return isRecord(json) && "policies" in json && "requests" in json;
}

function isTestJsonName(name: string): boolean {
  return name.endsWith(".json") && !name.endsWith(".entities.json");
}

/**
 * Find the test files named by `paths` (files or folders, walked recursively in
 * name order). An explicitly named file must be a test file; a walked JSON file
 * that is not one is skipped, but a walked JSON file that cannot be parsed is
 * reported, so a broken test never passes silently.
 */
export function discoverTestFiles(paths: readonly string[]): Discovered[] {
  const out: Discovered[] = [];
  const seen = new Set<string>();
  for (const given of paths) {
    const abs = given === STDIO_PATH ? STDIO_PATH : resolve(given);
    let isDir = false;
    if (abs !== STDIO_PATH) {
      try {
        isDir = statSync(abs).isDirectory();
      } catch (err) {
        fail("W5001", `cannot read file: ${ioReason(err)}`, { file: given });
      }
    }
    const candidates = isDir ? walkFolder(abs, isTestJsonName) : [abs];
    for (const p of candidates) {
      if (seen.has(p)) continue;
      seen.add(p);
      try {
        const file = readTextFile(p, displayName(p));
        const json = parseJsonFile(file);
        if (looksLikeTestFile(json) || isWritTestFile(p, json)) out.push({ kind: "test", file, json: json as Record<string, unknown> });
        else if (!isDir) fail("W5007", "not a test file: expected a Cedar test file (`policies` and `requests`) or a Writ test file (`\"writ-test\": 1`)", { file: file.name });
      } catch (err) {
        if (!(err instanceof CliFailure)) throw err;
        out.push({ kind: "problem", path: p, line: err.lines.join(" ") });
      }
    }
  }
  return out;
}

/**
 * Resolve a path written inside a test file: absolute paths as they are; a
 * relative one against the nearest ancestor folder of the test file in which it
 * exists. Undefined when it exists nowhere.
 */
export function resolveTestPath(testFile: string, path: string): string | undefined {
  if (isAbsolute(path)) return existsSync(path) ? path : undefined;
  let dir = dirname(resolve(testFile));
  for (;;) {
    const candidate = join(dir, path);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function bad(file: TextFile, message: string, key?: string): never {
  const offset = key === undefined ? undefined : offsetOfKey(file.text, key);
  throw new CliFailure([
    problemLine("W5007", message, offset === undefined ? { file: file.name } : { file: file.name, source: file.text, offset }),
  ]);
}

function pathField(file: TextFile, json: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const v = json[key];
  if (v === undefined && !required) return undefined;
  if (typeof v !== "string") bad(file, `\`${key}\` must be a path string`, key);
  const p = resolveTestPath(file.path, v);
  if (p === undefined) bad(file, `\`${key}\`: cannot find \`${v}\` next to this file or in any folder above it`, key);
  return p;
}

function stringList(file: TextFile, v: unknown, what: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) bad(file, `${what} must be an array of policy names`, what.split(" ").pop());
  return v as string[];
}

function parseRequest(file: TextFile, r: unknown, i: number): TestRequest {
  if (!isRecord(r)) bad(file, `request ${i + 1} must be an object`, "requests");
  const description = typeof r["description"] === "string" ? r["description"] : `request ${i + 1}`;
  const d = r["decision"];
  const decision = typeof d === "string" ? d.toLowerCase() : undefined;
  if (decision !== "allow" && decision !== "deny") bad(file, `request "${description}": \`decision\` must be "allow" or "deny"`, "decision");
  const vr = r["validateRequest"];
  if (vr !== undefined && typeof vr !== "boolean") bad(file, `request "${description}": \`validateRequest\` must be a boolean`, "validateRequest");
  return {
    description,
    principal: r["principal"],
    action: r["action"],
    resource: r["resource"],
    context: r["context"] ?? {},
    validateRequest: vr ?? true,
    decision,
    reason: stringList(file, r["reason"], `request "${description}": reason`),
    errors: stringList(file, r["errors"], `request "${description}": errors`),
  };
}

/** Check the structure of a test file and resolve its paths; throws a W5007 `CliFailure` naming the problem. */
export function parseTestFile(file: TextFile, json: Record<string, unknown>): TestFile {
  const policies = pathField(file, json, "policies", true)!;
  const entities = pathField(file, json, "entities", false);
  const schema = pathField(file, json, "schema", false);
  const sv = json["shouldValidate"];
  if (sv !== undefined && typeof sv !== "boolean") bad(file, "`shouldValidate` must be a boolean", "shouldValidate");
  if (sv !== undefined && schema === undefined) bad(file, "`shouldValidate` needs a `schema`", "shouldValidate");
  const reqs = json["requests"];
  if (!Array.isArray(reqs)) bad(file, "`requests` must be an array", "requests");
  return {
    file,
    policies,
    entities,
    schema,
    shouldValidate: sv,
    requests: reqs.map((r, i) => parseRequest(file, r, i)),
  };
}
