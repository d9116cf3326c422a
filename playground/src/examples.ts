/// <reference types="vite/client" />
/**
 * The examples menu, built at build time from the repository's `examples/` folder.
 *
 * Each example folder contributes one entry per request of its Cedar integration-test
 * JSON (`tests.json` style: `policies`, `schema`, `entities` paths and `requests`), or
 * a single entry with its policy, schema and entities files when it has no test file.
 */
import { DEFAULT_STATE } from "./default-example.js";
import type { PlaygroundState } from "./protocol.js";

/** What an example's test file expects Run to show. */
export interface Expected {
  readonly decision: "allow" | "deny";
  readonly reasons: readonly string[];
}

/** One menu entry. */
export interface Example {
  readonly label: string;
  readonly state: PlaygroundState;
  readonly expected?: Expected;
}

const files: Record<string, string> = import.meta.glob<string>("../../examples/**/*.{cedar,writ,cedarschema,json}", { query: "?raw", import: "default", eager: true });

function folderOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Resolve a path named in a test file against its folder and then each ancestor folder. */
function resolveIn(folder: string, rel: unknown): string | undefined {
  if (typeof rel !== "string") return undefined;
  for (let dir = folder; dir.length >= "../../examples".length; dir = folderOf(dir)) {
    const text = files[`${dir}/${rel.replace(/^\.\//, "")}`];
    if (text !== undefined) return text;
  }
  return undefined;
}

function requestText(r: Record<string, unknown>): string {
  const req: Record<string, unknown> = { principal: r.principal, action: r.action, resource: r.resource, context: r.context ?? {} };
  return `${JSON.stringify(req, null, 2)}\n`;
}

function examplesOfFolder(folder: string, paths: readonly string[]): Example[] {
  const name = folder.replace(/^\.\.\/\.\.\/examples\/?/, "") || "examples";
  const pick = (re: RegExp): string | undefined => {
    const p = paths.find((x) => re.test(baseName(x)));
    return p === undefined ? undefined : files[p];
  };
  const base = {
    policies: pick(/\.(cedar|writ)$/) ?? "",
    schema: pick(/\.cedarschema$/) ?? "",
    entities: pick(/entities\.json$/) ?? "[]\n",
  };
  const out: Example[] = [];
  for (const p of paths) {
    if (!p.endsWith(".json") || /entities\.json$/.test(p)) continue;
    let test: unknown;
    try {
      test = JSON.parse(files[p] ?? "");
    } catch {
      continue;
    }
    if (test === null || typeof test !== "object" || !Array.isArray((test as { requests?: unknown }).requests)) continue;
    const t = test as Record<string, unknown> & { requests: Record<string, unknown>[] };
    const policies = resolveIn(folder, t.policies) ?? base.policies;
    const schema = resolveIn(folder, t.schema) ?? base.schema;
    const entities = resolveIn(folder, t.entities) ?? base.entities;
    t.requests.forEach((r, i) => {
      const desc = typeof r.description === "string" ? r.description : `request ${i + 1}`;
      const ex: Example = { label: `${name}: ${desc}`, state: { policies, schema, entities, request: requestText(r), semantics: "fail-closed" } };
      const decision = r.decision;
      const reasons = Array.isArray(r.reason) ? r.reason.filter((x): x is string => typeof x === "string") : [];
      out.push(decision === "allow" || decision === "deny" ? { ...ex, expected: { decision, reasons } } : ex);
    });
  }
  if (out.length === 0 && base.policies !== "") out.push({ label: name, state: { ...base, request: DEFAULT_STATE.request, semantics: "fail-closed" } });
  return out;
}

/** Every example: the built-in one first, then those of `examples/`, sorted by folder. */
export function loadExamples(): Example[] {
  const byFolder = new Map<string, string[]>();
  for (const p of Object.keys(files).sort()) {
    const f = folderOf(p);
    byFolder.set(f, [...(byFolder.get(f) ?? []), p]);
  }
  const out: Example[] = [{ label: "built-in: document sharing", state: DEFAULT_STATE }];
  for (const [folder, paths] of byFolder) out.push(...examplesOfFolder(folder, paths));
  return out;
}
