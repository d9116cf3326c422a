/**
 * Test-file discovery and path resolution of `writ test`, in process.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discoverTestFiles, looksLikeTestFile, parseTestFile, resolveTestPath } from "../../cli/test-files.js";
import { CliFailure } from "../../cli/io.js";

let tmp: string;

function put(rel: string, text: string): string {
  const p = join(tmp, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

const TEST = JSON.stringify({ policies: "p.cedar", requests: [] });

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "writ-testfiles-"));
  put("root/p.cedar", "// outer\n");
  put("root/a/p.cedar", "// inner\n");
  put("root/a/b/c/t.json", TEST);
  put("root/only-top.cedar", "\n");
  put("walk/one.json", TEST);
  put("walk/data.entities.json", "[]");
  put("walk/config.json", '{"name": "not a test"}');
  put("walk/sub/two.json", TEST);
  put("walk/.hidden/three.json", TEST);
  put("walk/node_modules/four.json", TEST);
  put("walk/readme.md", "hi");
  put("walk/p.cedar", "\n");
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe("resolveTestPath", () => {
  it("takes the nearest ancestor folder in which the path exists", () => {
    const t = join(tmp, "root/a/b/c/t.json");
    expect(resolveTestPath(t, "p.cedar")).toBe(join(tmp, "root/a/p.cedar"));
    expect(resolveTestPath(t, "only-top.cedar")).toBe(join(tmp, "root/only-top.cedar"));
    expect(resolveTestPath(t, "a/p.cedar")).toBe(join(tmp, "root/a/p.cedar"));
  });

  it("keeps absolute paths and answers undefined when the path exists nowhere", () => {
    const t = join(tmp, "root/a/b/c/t.json");
    expect(resolveTestPath(t, join(tmp, "root/p.cedar"))).toBe(join(tmp, "root/p.cedar"));
    expect(resolveTestPath(t, join(tmp, "root/nope.cedar"))).toBeUndefined();
    expect(resolveTestPath(t, "definitely-not-here-anywhere.cedar")).toBeUndefined();
  });
});

describe("discoverTestFiles", () => {
  it("walks folders in name order, skipping *.entities.json, non-test JSON, dot folders and node_modules", () => {
    const found = discoverTestFiles([join(tmp, "walk")]);
    expect(found.map((d) => (d.kind === "test" ? d.file.path : d.path))).toEqual([join(tmp, "walk/one.json"), join(tmp, "walk/sub/two.json")]);
    expect(found.every((d) => d.kind === "test")).toBe(true);
  });

  it("reports an explicitly named file that is not a test file", () => {
    const found = discoverTestFiles([join(tmp, "walk/config.json")]);
    expect(found).toHaveLength(1);
    expect(found[0]!.kind).toBe("problem");
    if (found[0]!.kind === "problem") expect(found[0]!.line).toMatch(/config\.json: error W5007: not a test file/);
  });

  it("does not list a file twice when named twice", () => {
    expect(discoverTestFiles([join(tmp, "walk"), join(tmp, "walk/one.json")])).toHaveLength(2);
  });
});

describe("parseTestFile", () => {
  it("accepts Cedar's decision spellings and defaults validateRequest to true", () => {
    const text = JSON.stringify({
      policies: "p.cedar",
      requests: [{ description: "d", principal: null, action: null, resource: null, context: {}, decision: "Allow", reason: [], errors: [] }],
    });
    const file = { path: join(tmp, "walk/x.json"), name: "x.json", text };
    const t = parseTestFile(file, JSON.parse(text) as Record<string, unknown>);
    expect(t.requests[0]!.decision).toBe("allow");
    expect(t.requests[0]!.validateRequest).toBe(true);
    expect(t.policies).toBe(join(tmp, "walk/p.cedar"));
  });

  it("rejects a bad decision with a W5007 at the key's position", () => {
    const text = '{"policies": "p.cedar",\n "requests": [{"description": "d", "decision": "maybe"}]}';
    const file = { path: join(tmp, "walk/y.json"), name: "y.json", text };
    let caught: unknown;
    try {
      parseTestFile(file, JSON.parse(text) as Record<string, unknown>);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CliFailure);
    expect((caught as CliFailure).lines[0]).toMatch(/^y\.json:2:\d+: error W5007: .*decision/);
  });

  it("recognizes test files by `policies` and `requests`", () => {
    expect(looksLikeTestFile({ policies: "p", requests: [] })).toBe(true);
    expect(looksLikeTestFile({ policies: "p" })).toBe(false);
    expect(looksLikeTestFile([{ policies: "p", requests: [] }])).toBe(false);
  });
});
