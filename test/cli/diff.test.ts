/**
 * `writ diff old.json new.json`: added, removed and changed policies by name
 * and id, schema / semantics / sequence changes, `--json`, exit codes like
 * `diff` (0 identical, 1 different, 2 bad input with one line naming the file).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { runCli } from "../../cli/main.js";
import { memoryOutput } from "../../cli/io.js";
import { diffBundles, type BundleSummary } from "../../cli/diff.js";

const dir = mkdtempSync(join(tmpdir(), "writ-diff-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const id = (c: string): string => `sha256:${c.repeat(64)}`;

interface Fixture {
  semantics?: string;
  sequence?: number;
  schemaId?: string;
  policies: [string, string][];
  bundleId?: string;
}

let n = 0;
function bundle(f: Fixture): string {
  const json = {
    format: "writ-bundle/1",
    language: "writ/1",
    semantics: f.semantics ?? "fail-closed",
    sequence: f.sequence ?? 1,
    schemaId: f.schemaId ?? id("5"),
    schema: { entityTypes: {}, actions: {} },
    policies: f.policies.map(([name, pid]) => ({ name, id: pid, ir: { kind: "policy", name } })),
    bundleId: f.bundleId ?? id("b"),
  };
  const p = join(dir, `bundle-${n++}.json`);
  writeFileSync(p, JSON.stringify(json, null, 2));
  return p;
}

async function writ(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = memoryOutput();
  const code = await runCli(args, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

const BASE: [string, string][] = [
  ["alpha", id("a")],
  ["beta", id("1")],
  ["gamma", id("c")],
];

describe("writ diff", () => {
  it("identical bundles: exit 0 and says so", async () => {
    const r = await writ(["diff", bundle({ policies: BASE }), bundle({ policies: [...BASE].reverse() })]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("schema: unchanged");
    expect(r.stdout.trimEnd().split("\n").pop()).toBe("identical (3 policies)");
  });

  it("lists added, removed and changed policies by name and id; exit 1", async () => {
    const old = bundle({ policies: BASE });
    const neu = bundle({ policies: [["alpha", id("a")], ["beta", id("2")], ["delta", id("d")]], bundleId: id("e") });
    const r = await writ(["diff", old, neu]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toContain(`+ delta ${id("d")}`);
    expect(lines).toContain(`- gamma ${id("c")}`);
    expect(lines).toContain(`~ beta ${id("1")} -> ${id("2")}`);
    expect(lines).toContain(`bundle: ${id("b")} -> ${id("e")}`);
    expect(lines.pop()).toBe("1 added, 1 removed, 1 changed, 1 unchanged");
  });

  it("reports schema, semantics and sequence changes", async () => {
    const old = bundle({ policies: BASE });
    const r = await writ(["diff", old, bundle({ policies: BASE, schemaId: id("6"), semantics: "cedar", sequence: 2 })]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`schema: changed (${id("5")} -> ${id("6")})`);
    expect(r.stdout).toContain("semantics: fail-closed -> cedar");
    expect(r.stdout).toContain("sequence: 1 -> 2");
    for (const changed of [{ schemaId: id("7") }, { semantics: "cedar" }, { schemaId: id("7"), sequence: 9 }]) {
      expect((await writ(["diff", old, bundle({ policies: BASE, ...changed })])).code).toBe(1);
    }
  });

  it("separates a moved sequence from a change: same policies and schema, only the sequence moved, exit 0", async () => {
    const old = bundle({ policies: BASE });
    const moved = await writ(["diff", old, bundle({ policies: BASE, sequence: 9, bundleId: id("9") })]);
    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain("sequence: 1 -> 9");
    expect(moved.stdout.trimEnd().split("\n").pop()).toBe("only the sequence moved (1 -> 9): same policies, schema and semantics (3 policies)");
    const json = JSON.parse((await writ(["diff", old, bundle({ policies: BASE, sequence: 9 }), "--json"])).stdout) as Record<string, unknown>;
    expect([json["verdict"], json["identical"], json["sequenceChanged"]]).toEqual(["sequence-only", false, true]);
    const same = await writ(["diff", old, old]);
    expect(same.code).toBe(0);
    expect(same.stdout.trimEnd().split("\n").pop()).toBe("identical (3 policies)");
    const changed = JSON.parse((await writ(["diff", old, bundle({ policies: BASE.slice(1), sequence: 9 }), "--json"])).stdout) as Record<string, unknown>;
    expect(changed["verdict"]).toBe("changed");
  });

  it("--json prints the difference as JSON", async () => {
    const r = await writ(["diff", bundle({ policies: BASE }), bundle({ policies: [["alpha", id("f")]], schemaId: id("6") }), "--json"]);
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(d["identical"]).toBe(false);
    expect(d["added"]).toEqual([]);
    expect(d["removed"]).toEqual([
      { name: "beta", id: id("1") },
      { name: "gamma", id: id("c") },
    ]);
    expect(d["changed"]).toEqual([{ name: "alpha", oldId: id("a"), newId: id("f") }]);
    expect(d["schemaChanged"]).toBe(true);
    expect(d["semanticsChanged"]).toBe(false);
    expect(d["sequenceChanged"]).toBe(false);
    expect((d["old"] as Record<string, unknown>)["sequence"]).toBe("1");
  });

  const bad: [string, string, RegExp][] = [
    ["malformed JSON", '{ "format": "writ-bundle/1",\n  "policies": [ }', /:2:\d+: error W5002: malformed JSON/],
    ["not an object", "[]", /: error W6105: not a Writ bundle: expected a JSON object/],
    ["wrong format", JSON.stringify({ format: "other/2" }, null, 2), /:2:3: error W6105: not a Writ bundle: unsupported format `other\/2`/],
    ["no policies", JSON.stringify({ format: "writ-bundle/1", language: "writ/1", sequence: 1 }), /error W6105: not a Writ bundle: `policies` must be an array/],
    ["bad policy entry", JSON.stringify({ format: "writ-bundle/1", sequence: 0, policies: [{ name: 1 }] }), /error W6105: .*policies\[0\] must have a string `name` and `id`/],
    [
      "duplicate names",
      JSON.stringify({ format: "writ-bundle/1", sequence: 0, policies: [{ name: "x", id: id("a") }, { name: "x", id: id("b") }] }),
      /error W6105: .*two policies are named `x`/,
    ],
    ["negative sequence", JSON.stringify({ format: "writ-bundle/1", sequence: -1, policies: [] }), /error W6105: .*`sequence` must be a non-negative integer/],
  ];
  for (const [what, text, pattern] of bad) {
    it(`${what}: one line naming the file, exit 2`, async () => {
      const p = join(dir, `bad-${what.replace(/ /g, "-")}.json`);
      writeFileSync(p, text);
      const r = await writ(["diff", bundle({ policies: BASE }), p]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      const lines = r.stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]!.startsWith(p)).toBe(true);
      expect(lines[0]).toMatch(pattern);
    });
  }

  it("a missing file is one line naming it, exit 2", async () => {
    const r = await writ(["diff", join(dir, "nope.json"), bundle({ policies: BASE })]);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd()).toMatch(/nope\.json: error W5001: cannot read file: no such file or directory$/);
  });
});

describe("writ diff on bundles built by writ compile", () => {
  it("a changed literal changes that policy only; reformatting changes nothing", async () => {
    const schema = join(dir, "e2e.cedarschema");
    writeFileSync(schema, `entity User = { level: Long };\nentity Doc;\naction view appliesTo { principal: [User], resource: [Doc] };\n`);
    const src = (limit: number, layout: string): string =>
      `@id("a")\npermit (principal, action, resource) when {${layout}principal.level > ${limit} };\n@id("b")\nforbid (principal, action, resource) when { principal.level < 0 };\n`;
    const build = async (name: string, text: string): Promise<string> => {
      writeFileSync(join(dir, `${name}.cedar`), text);
      const r = await writ(["compile", join(dir, `${name}.cedar`), "--schema", schema, "-o", join(dir, `${name}.json`)]);
      expect(r.code, r.stderr).toBe(0);
      return join(dir, `${name}.json`);
    };
    const one = await build("one", src(1, " "));
    const same = await build("same", `// reformatted\n${src(1, "\n    ")}`);
    const two = await build("two", src(2, " "));
    expect((await writ(["diff", one, same])).code).toBe(0);
    const r = await writ(["diff", one, two, "--json"]);
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout) as { changed: { name: string }[]; added: unknown[]; removed: unknown[]; unchanged: number; schemaChanged: boolean };
    expect(d.changed.map((c) => c.name)).toEqual(["a"]);
    expect([d.added, d.removed, d.unchanged, d.schemaChanged]).toEqual([[], [], 1, false]);
  });
});

describe("writ diff on arbitrary JSON", () => {
  it("always: exit 0, 1 or 2; on 2 exactly one error line naming the file", async () => {
    const good = JSON.parse(readFileSync(bundle({ policies: BASE }), "utf8")) as Record<string, unknown>;
    const keys = ["format", "language", "semantics", "sequence", "schemaId", "policies", "bundleId"];
    let i = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 3 }), async (key, value) => {
        const p = join(dir, `arb-${i++}.json`);
        writeFileSync(p, JSON.stringify({ ...good, [key]: value }));
        const r = await writ(["diff", p, p]);
        expect([0, 2]).toContain(r.code);
        if (r.code === 2) {
          const lines = r.stderr.trimEnd().split("\n");
          expect(lines).toHaveLength(1);
          expect(lines[0]!.startsWith(`${p}:`)).toBe(true);
          expect(lines[0]).toMatch(/: error W(5002|6105): /);
        } else expect(r.stdout.trimEnd().split("\n").pop()).toMatch(/^identical/);
      }),
      { numRuns: 150 },
    );
  });
});

describe("diffBundles", () => {
  const summary = (policies: Map<string, string>): BundleSummary => ({
    format: "writ-bundle/1",
    language: "writ/1",
    bundleId: id("b"),
    schemaId: id("5"),
    semantics: "fail-closed",
    sequence: "1",
    policies,
  });
  const policyMap = fc.dictionary(fc.constantFrom("a", "b", "c", "d", "e"), fc.constantFrom(id("1"), id("2"), id("3"))).map((o) => new Map(Object.entries(o)));

  it("always: every name lands in exactly one category, and the diff is empty iff the maps are equal", () => {
    fc.assert(
      fc.property(policyMap, policyMap, (a, b) => {
        const d = diffBundles(summary(a), summary(b));
        const names = [...d.added, ...d.removed, ...d.changed].map((p) => p.name);
        expect(new Set(names).size).toBe(names.length);
        expect(names.length + d.unchanged).toBe(new Set([...a.keys(), ...b.keys()]).size);
        const equal = a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
        expect(d.identical).toBe(equal);
        const back = diffBundles(summary(b), summary(a));
        expect(back.added).toEqual(d.removed);
        expect(back.removed).toEqual(d.added);
      }),
    );
  });
});
