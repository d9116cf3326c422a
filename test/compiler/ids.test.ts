/**
 * Content ids of policies, schemas and bundles: layout, comments and policy order never
 * change an id; changing a literal, an operator, a scope or the effect always changes that
 * policy's id and only that one.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { formatPolicies, parsePolicies, parseSchema, type Expr, type Policy, type PolicySet } from "../../lang/index.js";
import { compile, loadSchema } from "../../compiler/index.js";
import { bundleId, isValidSequence, keyIdOf, policyHashInput, policyId, schemaId, toPlainJson } from "../../compiler/ids.js";
import { isContentId } from "../../compiler/canonical.js";
import { stripSpans } from "../../compiler/ir.js";
import { arbPolicySetText, arbPolicyText } from "../support/arbitraries.js";

const RUNS = 60;

function idsOfAst(ast: PolicySet): string[] {
  const r = compile(ast);
  if (r.ir === undefined) throw new Error("no IR");
  return r.ir.policies.map((p) => policyId(p));
}

function idsOf(src: string): string[] {
  const parsed = parsePolicies(src);
  if (parsed.ast === undefined) throw new Error(`parse failed: ${parsed.diagnostics.map((d) => d.message).join("; ")}`);
  return idsOfAst(parsed.ast);
}

/** True when `src` parses and lowers (generated policies occasionally do not). */
function compiles(src: string): boolean {
  const parsed = parsePolicies(src);
  return parsed.ast !== undefined && compile(parsed.ast).ir !== undefined;
}

describe("policy ids", () => {
  it("are sha256 content ids", () => {
    const [id] = idsOf(`permit(principal, action, resource);`);
    expect(isContentId(id!)).toBe(true);
  });

  it("do not depend on the default positional name", () => {
    const [a] = idsOf(`permit(principal, action, resource) when { 1 < 2 };`);
    const [, b] = idsOf(`forbid(principal, action, resource);\npermit(principal, action, resource) when { 1 < 2 };`);
    expect(b).toBe(a);
  });

  it("do depend on an explicit @id and other annotations", () => {
    const [plain] = idsOf(`permit(principal, action, resource);`);
    const [named] = idsOf(`@id("x") permit(principal, action, resource);`);
    const [reasoned] = idsOf(`@reason("because") permit(principal, action, resource);`);
    expect(new Set([plain, named, reasoned]).size).toBe(3);
  });

  it("do not depend on the order of annotations", () => {
    const [a] = idsOf(`@id("x") @reason("r") permit(principal, action, resource);`);
    const [b] = idsOf(`@reason("r")\n@id("x")\npermit(principal, action, resource);`);
    const [c] = idsOf(`@reason("s") @id("x") permit(principal, action, resource);`);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it("ignore spans (policyHashInput holds no span and no name)", () => {
    const r = compile(parsePolicies(`@id("p") permit(principal == User::"a", action, resource) when { context.x == 1 };`).ast!);
    const text = JSON.stringify(policyHashInput(r.ir!.policies[0]!));
    expect(text).not.toContain('"span"');
    expect(text).not.toContain('"name":"p"');
    expect(text).toContain('"value":"p"');
  });

  it("never change when the policies are reformatted (printer, random layout and comments)", () => {
    fc.assert(
      fc.property(arbPolicySetText({ layout: true, maxPolicies: 4 }), (src) => {
        const parsed = parsePolicies(src);
        fc.pre(parsed.ast !== undefined && compile(parsed.ast).ir !== undefined);
        const formatted = formatPolicies(parsed.ast!, src);
        expect(idsOf(formatted)).toEqual(idsOfAst(parsed.ast!));
      }),
      { numRuns: RUNS },
    );
  });

  it("never change when comments are added between and inside policies", () => {
    fc.assert(
      fc.property(fc.array(arbPolicyText(), { minLength: 1, maxLength: 4 }), fc.string({ maxLength: 12 }), (texts, comment) => {
        const c = `// ${comment.replace(/[\r\n\u2028\u2029]/g, " ")}\n`;
        const plain = texts.join("\n");
        fc.pre(compiles(plain));
        const commented = c + texts.map((t) => t.replace("(", `(\n${c}`)).join(`\n${c}`) + `\n${c}`;
        expect(idsOf(commented)).toEqual(idsOf(plain));
      }),
      { numRuns: RUNS },
    );
  });

  it("never change when the policies are reordered", () => {
    fc.assert(
      fc.property(
        fc.array(arbPolicyText(), { minLength: 2, maxLength: 5 }).chain((texts) => fc.tuple(fc.constant(texts), fc.shuffledSubarray(texts.map((_, i) => i), { minLength: texts.length }))),
        ([texts, perm]) => {
          fc.pre(compiles(texts.join("\n")));
          const ids = idsOf(texts.join("\n"));
          const permuted = idsOf(perm.map((i) => texts[i]!).join("\n"));
          expect(permuted).toEqual(perm.map((i) => ids[i]!));
        },
      ),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------

type Mutable = Record<string, unknown>;

/** Every expression node of a policy's conditions, with its parent chain kind. */
function exprsOf(p: Policy): { e: Expr; parent: Expr | undefined }[] {
  const out: { e: Expr; parent: Expr | undefined }[] = [];
  const walk = (x: unknown, parent: Expr | undefined): void => {
    if (Array.isArray(x)) {
      for (const y of x) walk(y, parent);
      return;
    }
    if (x === null || typeof x !== "object") return;
    const o = x as { kind?: unknown };
    const isExpr = typeof o.kind === "string" && "span" in o && o.kind !== "recordEntry" && o.kind !== "name" && o.kind !== "entityRef";
    if (isExpr) out.push({ e: x as Expr, parent });
    for (const [k, v] of Object.entries(x)) if (k !== "span") walk(v, isExpr ? (x as Expr) : parent);
  };
  walk(p.conditions, undefined);
  return out;
}

const OP_SWAP: Readonly<Record<string, string>> = { "==": "!=", "!=": "==", "<": "<=", "<=": "<", ">": ">=", ">=": ">", "+": "-", "-": "+", "*": "+", "&&": "||", "||": "&&" };

/** The mutation sites of one policy: each a function mutating a deep copy in place. */
function mutationSites(p: Policy): ((q: Policy) => void)[] {
  const sites: ((q: Policy) => void)[] = [];
  sites.push((q) => {
    (q as unknown as Mutable)["effect"] = q.effect === "permit" ? "forbid" : "permit";
  });
  sites.push((q) => {
    const c = q.principal.constraint;
    const target = { kind: "entityRef", type: { kind: "name", path: ["User"], span: q.span }, id: "mutant\u0001", span: q.span };
    (q.principal as unknown as Mutable)["constraint"] = c.kind === "eq" ? { kind: "any" } : { kind: "eq", target };
  });
  sites.push((q) => {
    const c = q.resource.constraint;
    const target = { kind: "entityRef", type: { kind: "name", path: ["Doc"], span: q.span }, id: "mutant\u0001", span: q.span };
    (q.resource as unknown as Mutable)["constraint"] = c.kind === "in" ? { kind: "any" } : { kind: "in", target };
  });
  const exprs = exprsOf(p);
  exprs.forEach(({ e, parent }, i) => {
    const at = (q: Policy): Mutable => exprsOf(q)[i]!.e as unknown as Mutable;
    if (e.kind === "long") sites.push((q) => void (at(q)["value"] = e.value === 0n ? 1n : e.value - 1n));
    else if (e.kind === "bool") sites.push((q) => void (at(q)["value"] = !e.value));
    else if (e.kind === "string" && parent?.kind !== "call") sites.push((q) => void (at(q)["value"] = `${e.value}~`));
    else if (e.kind === "binary" && OP_SWAP[e.op] !== undefined) sites.push((q) => void (at(q)["op"] = OP_SWAP[e.op]));
  });
  return sites;
}

describe("policy id mutations", () => {
  it("changing a literal, operator, scope or effect changes that policy's id and only that one", () => {
    fc.assert(
      fc.property(arbPolicySetText({ maxPolicies: 4 }), fc.nat(), fc.nat(), (src, pick, sitePick) => {
        const parsed = parsePolicies(src);
        fc.pre(parsed.ast !== undefined && compile(parsed.ast).ir !== undefined);
        const ast = parsed.ast!;
        const before = idsOfAst(ast);
        const index = pick % ast.policies.length;
        const sites = mutationSites(ast.policies[index]!);
        const site = sites[sitePick % sites.length]!;
        const copy = structuredClone(ast);
        site(copy.policies[index]!);
        const r = compile(copy);
        fc.pre(r.ir !== undefined);
        const after = r.ir!.policies.map((p) => policyId(p));
        after.forEach((id, i) => {
          if (i === index) expect(id).not.toBe(before[i]);
          else expect(id).toBe(before[i]);
        });
      }),
      { numRuns: 150 },
    );
  });

  it("every mutation site of a policy rich in literals changes its id", () => {
    const src = `permit(principal, action, resource) when { context.a < 3 && context.b == "x" || (true && context.c + 1 >= 2 * 5) };`;
    const ast = parsePolicies(src).ast!;
    const [before] = idsOfAst(ast);
    const sites = mutationSites(ast.policies[0]!);
    expect(sites.length).toBeGreaterThanOrEqual(12);
    const seen = new Set<string>([before!]);
    for (const site of sites) {
      const copy = structuredClone(ast);
      site(copy.policies[0]!);
      const [after] = idsOfAst(copy);
      expect(after).not.toBe(before);
      seen.add(after!);
    }
    expect(seen.size).toBe(sites.length + 1);
  });
});

// ---------------------------------------------------------------------------
// Schema and bundle ids
// ---------------------------------------------------------------------------

const SCHEMA = `entity User in [Group] { age: Long, "__proto__": String }; entity Group; entity Doc { owner: User };
action view appliesTo { principal: User, resource: Doc, context: { ip?: ipaddr } };`;

function schemaOf(text: string) {
  const s = loadSchema(parseSchema(text).ast!);
  if (s.schema === undefined) throw new Error(s.diagnostics.map((d) => d.message).join("; "));
  return s.schema;
}

describe("schema ids", () => {
  it("are stable across reloads and insensitive to declaration order", () => {
    const a = schemaOf(SCHEMA);
    const reordered = schemaOf(SCHEMA.split(";").filter((x) => x.trim() !== "").reverse().join(";") + ";");
    expect(schemaId(a)).toBe(schemaId(schemaOf(SCHEMA)));
    expect(schemaId(reordered)).toBe(schemaId(a));
  });

  it("change with any attribute, type or action change", () => {
    const base = schemaId(schemaOf(SCHEMA));
    expect(schemaId(schemaOf(SCHEMA.replace("age: Long", "age: String")))).not.toBe(base);
    expect(schemaId(schemaOf(SCHEMA.replace("age: Long", "age?: Long")))).not.toBe(base);
    expect(schemaId(schemaOf(SCHEMA.replace("action view", "action edit")))).not.toBe(base);
    expect(schemaId(schemaOf(SCHEMA.replace("ip?: ipaddr", "ip?: decimal")))).not.toBe(base);
  });

  it("keep an attribute named __proto__ as data", () => {
    const plain = JSON.stringify(toPlainJson(schemaOf(SCHEMA)));
    expect(plain).toContain('"__proto__"');
  });
});

describe("bundle ids", () => {
  const fields = {
    semantics: "fail-closed" as const,
    schemaId: "sha256:" + "a".repeat(64),
    sequence: 1,
    policies: [
      { id: "sha256:" + "1".repeat(64), name: "p1" },
      { id: "sha256:" + "2".repeat(64), name: "p2" },
    ],
  };

  it("ignore policy order", () => {
    expect(bundleId({ ...fields, policies: [...fields.policies].reverse() })).toBe(bundleId(fields));
  });

  it("change with semantics, schema id, sequence, a policy id or a name", () => {
    const base = bundleId(fields);
    const variants = [
      { ...fields, semantics: "cedar" as const },
      { ...fields, schemaId: "sha256:" + "b".repeat(64) },
      { ...fields, sequence: 2 },
      { ...fields, policies: [fields.policies[0]!, { id: "sha256:" + "3".repeat(64), name: "p2" }] },
      { ...fields, policies: [fields.policies[0]!, { id: fields.policies[1]!.id, name: "p3" }] },
      { ...fields, policies: [fields.policies[0]!] },
    ];
    const ids = variants.map((v) => bundleId(v));
    expect(new Set([base, ...ids]).size).toBe(variants.length + 1);
  });

  it("key ids and sequences", () => {
    expect(keyIdOf(new Uint8Array(32))).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(keyIdOf(new Uint8Array(32))).not.toBe(keyIdOf(new Uint8Array(32).fill(1)));
    expect([0, 5, Number.MAX_SAFE_INTEGER].every(isValidSequence)).toBe(true);
    expect([-1, 1.5, NaN, "1", 2 ** 60].some(isValidSequence)).toBe(false);
  });
});

describe("policyHashInput", () => {
  it("equals its definition: the IR without spans and name, as plain JSON, annotations sorted by name", () => {
    fc.assert(
      fc.property(arbPolicySetText(), (src) => {
        const parsed = parsePolicies(src);
        fc.pre(parsed.ast !== undefined);
        const ir = compile(parsed.ast!).ir;
        fc.pre(ir !== undefined);
        for (const p of ir!.policies) {
          const { name: _name, ...rest } = toPlainJson(stripSpans(p)) as Record<string, unknown>;
          const anns = rest["annotations"] as { name: string }[];
          const expected = { ...rest, annotations: [...anns].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
          expect(policyHashInput(p)).toEqual(expected);
          expect(policyId(p)).toBe(policyId(stripSpans(p)));
        }
      }),
      { numRuns: RUNS, seed: 21 },
    );
  });
});
