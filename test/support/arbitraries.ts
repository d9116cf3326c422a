/**
 * fast-check arbitraries over the Cedar core, for printer properties and for
 * differential testing against the reference implementation.
 *
 * A small fixed universe: entity types `User`, `Group`, `Doc`, `Folder`, `Action`
 * with a few ids each; `User in Group`, `Group in Group`, `Doc in Folder`,
 * `Folder in Folder`, actions in the action groups `readActions`/`writeActions`.
 * Policies are generated mostly well-typed against that universe (so that they
 * often decide something), with a minority that error at run time: missing
 * attributes, overflow, operands of the wrong type.
 *
 * Everything is deterministic given the fast-check seed. Generated text is valid
 * Cedar syntax; `layout: true` also varies whitespace and sprinkles `//` comments
 * and redundant parentheses, for printer tests.
 */
import fc from "fast-check";
import { RecordValue, SetValue, type Value } from "../../stdlib/value.js";

/** The entity ids of the fixed universe, by type. */
export const UNIVERSE = {
  User: ["alice", "bob", "carol"],
  Group: ["admins", "staff"],
  Doc: ["d1", "d2", "d3"],
  Folder: ["f1", "f2"],
  Action: ["view", "edit", "delete", "readActions", "writeActions"],
} as const;

/** Action hierarchy of the universe (fixed). */
export const ACTION_PARENTS: Readonly<Record<string, readonly string[]>> = {
  view: ["readActions"],
  edit: ["writeActions"],
  delete: ["writeActions"],
  readActions: [],
  writeActions: [],
};

/** Options for the policy text arbitraries. */
export interface PolicyTextOptions {
  /** Vary whitespace and add comments and redundant parentheses (printer tests). Default false. */
  readonly layout?: boolean;
  /** Add annotations other than `@id` (default true). */
  readonly annotations?: boolean;
  /** Maximum expression depth (default 3). */
  readonly depth?: number;
}

/** A text fragment as tokens plus the precedence of its top-level form (see the printer). */
interface Frag {
  readonly toks: readonly string[];
  readonly p: number;
}

type Ty = "bool" | "long" | "string" | "entity" | "setLong" | "setString" | "setEntity" | "ip" | "decimal" | "record";

const TYPES: readonly Ty[] = ["bool", "long", "string", "entity", "setLong", "setString", "setEntity", "ip", "decimal", "record"];

const frag = (p: number, ...toks: string[]): Frag => ({ toks, p });
const leaf = (p: number, text: string): fc.Arbitrary<Frag> => fc.constant(frag(p, text));

/** Encode a string as a Cedar string literal (own encoder, independent of the printer). */
function lit(s: string, pattern = false): string {
  let out = "";
  for (const ch of s) {
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "*" && pattern) out += "\\*";
    else if (ch === "\u0001") out += "\\u{1}";
    else out += ch;
  }
  return `"${out}"`;
}

const arbStr = fc.array(fc.constantFrom("a", "b", "x", " ", '"', "\\", "\n", "\t", "é", "*", "\u0001", "😀"), { maxLength: 5 }).map((cs) => cs.join(""));
const arbLongLit = fc.oneof(
  fc.integer({ min: -3, max: 20 }).map((n) => BigInt(n)),
  fc.constantFrom(9223372036854775807n, -9223372036854775808n, 4611686018427387904n, -1n, 1000000n),
);
const longFrag = (n: bigint): Frag => frag(n < 0n ? 6 : 8, n.toString());

const ent = (type: keyof typeof UNIVERSE): fc.Arbitrary<string> => fc.constantFrom(...UNIVERSE[type]).map((id) => `${type}::${lit(id)}`);
const anyEnt = fc.oneof(ent("User"), ent("Group"), ent("Doc"), ent("Folder"), ent("Action"));

/** Wrap in parentheses when needed (or when `extra`). */
function wrap(f: Frag, min: number, extra: boolean): Frag {
  return f.p < min || extra ? frag(8, "(", ...f.toks, ")") : f;
}

class Gen {
  private readonly cache = new Map<string, fc.Arbitrary<Frag>>();
  private readonly extra: fc.Arbitrary<boolean>;

  constructor(layout: boolean) {
    this.extra = layout ? fc.integer({ min: 0, max: 5 }).map((n) => n === 0) : fc.constant(false);
  }

  /** An operand with at least precedence `min`. */
  private op(t: Ty, d: number, min: number): fc.Arbitrary<Frag> {
    return fc.tuple(this.expr(t, d), this.extra).map(([f, x]) => wrap(f, min, x));
  }

  private bin(op: string, t: Ty, d: number, level: number, lmin: number, rmin: number, rt: Ty = t): fc.Arbitrary<Frag> {
    return fc.tuple(this.op(t, d, lmin), this.op(rt, d, rmin)).map(([l, r]) => frag(level, ...l.toks, op, ...r.toks));
  }

  private method(t: Ty, d: number, name: string, args: readonly fc.Arbitrary<Frag>[]): fc.Arbitrary<Frag> {
    return fc.tuple(this.op(t, d, 7), ...args).map(([target, ...as]) => {
      const argToks: string[] = [];
      as.forEach((a, i) => argToks.push(...(i > 0 ? [","] : []), ...a.toks));
      return frag(7, ...target.toks, `.${name}`, "(", ...argToks, ")");
    });
  }

  private leaves(t: Ty): fc.Arbitrary<Frag> {
    switch (t) {
      case "bool":
        return fc.oneof(leaf(8, "true"), leaf(8, "false"), leaf(7, "context.flag"), leaf(7, "principal.active"), leaf(7, "resource.public"));
      case "long":
        return fc.oneof(arbLongLit.map(longFrag), leaf(7, "principal.age"), leaf(7, "resource.size"), leaf(7, "context.n"), leaf(7, "principal.profile.level"));
      case "string":
        return fc.oneof(arbStr.map((s) => frag(8, lit(s))), leaf(7, "principal.name"), leaf(7, "resource.title"), leaf(7, "context.s"), leaf(7, 'principal["nick"]'), leaf(7, "principal.profile.dept"));
      case "entity":
        return fc.oneof(leaf(8, "principal"), leaf(8, "resource"), leaf(8, "action"), anyEnt.map((e) => frag(8, e)), leaf(7, "resource.owner"), leaf(7, "principal.manager"));
      case "setLong":
        return fc.array(arbLongLit, { maxLength: 3 }).map((ns) => frag(8, "[", ...ns.flatMap((n, i) => (i > 0 ? [",", n.toString()] : [n.toString()])), "]"));
      case "setString":
        return fc.oneof(leaf(7, "principal.tags"), fc.array(fc.constantFrom("a", "b", "x"), { maxLength: 3 }).map((ss) => frag(8, "[", ...ss.flatMap((s, i) => (i > 0 ? [",", lit(s)] : [lit(s)])), "]")));
      case "setEntity":
        return fc.oneof(leaf(7, "resource.readers"), fc.array(ent("User"), { maxLength: 3 }).map((es) => frag(8, "[", ...es.flatMap((e, i) => (i > 0 ? [",", e] : [e])), "]")));
      case "ip":
        return fc.oneof(fc.constantFrom("10.0.0.1", "192.168.0.0/16", "127.0.0.1", "::1", "224.0.0.1", "10.0.0.0/8").map((a) => frag(8, "ip", "(", lit(a), ")")), leaf(7, "context.ip"));
      case "decimal":
        return fc.oneof(fc.constantFrom("1.5", "0.0", "-2.25", "1000.0001").map((a) => frag(8, "decimal", "(", lit(a), ")")), leaf(7, "context.amount"));
      case "record":
        return fc.oneof(leaf(7, "principal.profile"), leaf(8, "context"), fc.tuple(arbLongLit, arbStr).map(([n, s]) => frag(8, "{", "level", ":", n.toString(), ",", lit("dept"), ":", lit(s), "}")));
      default:
        throw new Error(`INVARIANT: unknown type ${String(t)}`);
    }
  }

  /** An expression of (mostly) type `t` with depth at most `d`. */
  expr(t: Ty, d: number): fc.Arbitrary<Frag> {
    const key = `${t}/${d}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    let arb: fc.Arbitrary<Frag>;
    if (d <= 0) arb = this.leaves(t);
    else {
      const s = d - 1;
      const ite = fc.tuple(this.expr("bool", s), this.expr(t, s), this.expr(t, s)).map(([c, a, b]) => frag(0, "if", ...c.toks, "then", ...a.toks, "else", ...b.toks));
      const composite = this.composites(t, s);
      // A few operands of a random other type: run-time type errors.
      const wrong = fc.constantFrom(...TYPES).chain((u) => this.expr(u, s));
      arb = fc.oneof(
        { weight: 3, arbitrary: this.leaves(t) },
        { weight: 6, arbitrary: composite },
        { weight: 1, arbitrary: ite },
        { weight: t === "bool" || t === "long" ? 1 : 0, arbitrary: wrong },
      );
    }
    this.cache.set(key, arb);
    return arb;
  }

  private composites(t: Ty, s: number): fc.Arbitrary<Frag> {
    const str = (x: string): fc.Arbitrary<Frag> => fc.constant(frag(8, lit(x)));
    switch (t) {
      case "bool":
        return fc.oneof(
          this.bin("&&", "bool", s, 2, 2, 3),
          this.bin("||", "bool", s, 1, 1, 2),
          this.op("bool", s, 6).map((f) => (/^[-!]/.test(f.toks[0]!) && !f.toks[0]!.startsWith("!") ? frag(6, "!", "(", ...f.toks, ")") : frag(6, "!", ...f.toks))),
          fc.constantFrom("==", "!=", "<", "<=", ">", ">=").chain((o) => this.bin(o, "long", s, 3, 4, 4)),
          this.bin("==", "string", s, 3, 4, 4),
          fc.constantFrom("==", "!=", "in").chain((o) => this.bin(o, "entity", s, 3, 4, 4)),
          this.bin("in", "entity", s, 3, 4, 4, "setEntity"),
          this.bin("==", "setLong", s, 3, 4, 4),
          this.bin("==", "record", s, 3, 4, 4),
          fc.tuple(this.op("entity", s, 4), fc.constantFrom("name", "age", "active", "owner", "profile", '"nick"', "tags", "manager")).map(([e, a]) => frag(3, ...e.toks, "has", a)),
          fc.tuple(this.op("entity", s, 4), fc.constantFrom("profile.level", "profile.dept", "manager.name")).map(([e, a]) => frag(3, ...e.toks, "has", ...a.split(/(\.)/))),
          fc.tuple(this.op("record", s, 4), fc.constantFrom("level", "dept", "flag", '"ip"')).map(([e, a]) => frag(3, ...e.toks, "has", a)),
          fc.tuple(this.op("string", s, 4), fc.array(fc.constantFrom("WILD", "a", "x", " ", "*", '"', "\\", "é"), { maxLength: 4 })).map(([e, ps]) => {
            const body = ps.map((p) => (p === "WILD" ? "*" : lit(p, true).slice(1, -1))).join("");
            return frag(3, ...e.toks, "like", `"${body}"`);
          }),
          fc.tuple(this.op("entity", s, 4), fc.constantFrom("User", "Group", "Doc", "Folder", "Action")).map(([e, ty]) => frag(3, ...e.toks, "is", ty)),
          fc.tuple(this.op("entity", s, 4), fc.constantFrom("User", "Doc"), this.op("entity", s, 4)).map(([e, ty, g]) => frag(3, ...e.toks, "is", ty, "in", ...g.toks)),
          this.method("setLong", s, "contains", [this.expr("long", s)]),
          this.method("setString", s, "contains", [this.expr("string", s)]),
          this.method("setEntity", s, "contains", [this.expr("entity", s)]),
          fc.constantFrom("containsAll", "containsAny").chain((m) => this.method("setString", s, m, [this.expr("setString", s)])),
          fc.constantFrom("containsAll", "containsAny").chain((m) => this.method("setLong", s, m, [this.expr("setLong", s)])),
          this.method("setEntity", s, "isEmpty", []),
          fc.constantFrom("isIpv4", "isIpv6", "isLoopback", "isMulticast").chain((m) => this.method("ip", s, m, [])),
          this.method("ip", s, "isInRange", [this.expr("ip", s)]),
          fc.constantFrom("lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual").chain((m) => this.method("decimal", s, m, [this.expr("decimal", s)])),
          this.method("entity", s, "hasTag", [fc.oneof(str("k"), str("z"), this.expr("string", s))]),
          this.bin("==", "decimal", s, 3, 4, 4),
          this.bin("==", "ip", s, 3, 4, 4),
        );
      case "long":
        return fc.oneof(
          fc.constantFrom("+", "-").chain((o) => this.bin(o, "long", s, 4, 4, 5)),
          this.bin("*", "long", s, 5, 5, 6),
          this.op("long", s, 6).map((f) => (/^[0-9!-]/.test(f.toks[0]!) ? frag(6, "-", "(", ...f.toks, ")") : frag(6, "-", ...f.toks))),
        );
      case "string":
        return fc.oneof(
          this.method("entity", s, "getTag", [fc.oneof(str("k"), str("z"))]),
          this.op("record", s, 7).map((r) => frag(7, ...r.toks, ".dept")),
        );
      case "entity":
        return this.op("entity", s, 7).map((e) => frag(7, ...e.toks, ".owner"));
      case "setLong":
        return fc.array(this.expr("long", s), { minLength: 1, maxLength: 3 }).map((xs) => frag(8, "[", ...xs.flatMap((x, i) => (i > 0 ? [",", ...x.toks] : [...x.toks])), "]"));
      case "setString":
        return fc.array(this.expr("string", s), { minLength: 1, maxLength: 3 }).map((xs) => frag(8, "[", ...xs.flatMap((x, i) => (i > 0 ? [",", ...x.toks] : [...x.toks])), "]"));
      case "setEntity":
        return fc.array(this.expr("entity", s), { minLength: 1, maxLength: 3 }).map((xs) => frag(8, "[", ...xs.flatMap((x, i) => (i > 0 ? [",", ...x.toks] : [...x.toks])), "]"));
      case "ip":
      case "decimal":
        return this.leaves(t);
      case "record":
        return fc.tuple(this.expr("long", s), this.expr("string", s), this.expr("bool", s)).map(([a, b, c]) => frag(8, "{", "level", ":", ...a.toks, ",", lit("dept"), ":", ...b.toks, ",", lit("a key"), ":", ...c.toks, "}"));
      default:
        throw new Error(`INVARIANT: unknown type ${String(t)}`);
    }
  }
}

const arbPrincipalScope = fc.oneof(
  { weight: 3, arbitrary: fc.constant(["principal"]) },
  ent("User").map((e) => ["principal", "==", e]),
  ent("Group").map((e) => ["principal", "in", e]),
  fc.constant(["principal", "is", "User"]),
  ent("Group").map((e) => ["principal", "is", "User", "in", e]),
);
const arbActionScope = fc.oneof(
  { weight: 3, arbitrary: fc.constant(["action"]) },
  ent("Action").map((e) => ["action", "==", e]),
  ent("Action").map((e) => ["action", "in", e]),
  fc.uniqueArray(ent("Action"), { minLength: 1, maxLength: 3 }).map((es) => ["action", "in", "[", ...es.flatMap((e, i) => (i > 0 ? [",", e] : [e])), "]"]),
);
const arbResourceScope = fc.oneof(
  { weight: 3, arbitrary: fc.constant(["resource"]) },
  ent("Doc").map((e) => ["resource", "==", e]),
  ent("Folder").map((e) => ["resource", "in", e]),
  fc.constant(["resource", "is", "Doc"]),
  ent("Folder").map((e) => ["resource", "is", "Doc", "in", e]),
);

const gens = new Map<boolean, Gen>();
function gen(layout: boolean): Gen {
  let g = gens.get(layout);
  if (g === undefined) {
    g = new Gen(layout);
    gens.set(layout, g);
  }
  return g;
}

/** A small deterministic PRNG (mulberry32) for layout choices, seeded by fast-check. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEPARATORS = [" ", " ", " ", "  ", "\n", "\n  ", " // note\n", "\n// a comment with \"quotes\" and // slashes\n", " //\n", "\t"];

function joinTokens(toks: readonly string[], layoutSeed: number | undefined): string {
  if (layoutSeed === undefined) return toks.join(" ");
  const rnd = prng(layoutSeed);
  let out = "";
  toks.forEach((t, i) => {
    if (i > 0) out += SEPARATORS[Math.floor(rnd() * SEPARATORS.length)]!;
    out += t;
  });
  return out;
}

/** Policy tokens: annotations, effect, scope, conditions, `;`. */
function arbPolicyTokens(opts: PolicyTextOptions): fc.Arbitrary<string[]> {
  const g = gen(opts.layout === true);
  const depth = opts.depth ?? 3;
  const annotation = fc.oneof(
    fc.tuple(fc.constantFrom("advice", "reason", "owner"), arbStr).map(([n, v]) => [`@${n}(${lit(v)})`]),
    fc.constant(["@shadowed"]),
  );
  const cond = fc.tuple(fc.constantFrom("when", "unless"), g.expr("bool", depth)).map(([w, e]) => [w, "{", ...e.toks, "}"]);
  return fc
    .tuple(
      opts.annotations === false ? fc.constant([]) : fc.array(annotation, { maxLength: 2 }),
      fc.oneof({ weight: 3, arbitrary: fc.constant("permit") }, { weight: 1, arbitrary: fc.constant("forbid") }),
      arbPrincipalScope,
      arbActionScope,
      arbResourceScope,
      fc.array(cond, { maxLength: 2 }),
    )
    .map(([anns, eff, p, a, r, cs]) => {
      const seen = new Set<string>();
      const annToks = anns.flat().filter((x) => {
        const name = /^@(\w+)/.exec(x)![1]!;
        if (seen.has(name)) return false;
        seen.add(name);
        return true;
      });
      return [...annToks, eff, "(", ...p, ",", ...a, ",", ...r, ")", ...cs.flat(), ";"];
    });
}

/** The text of one Cedar policy. */
export function arbPolicyText(opts: PolicyTextOptions = {}): fc.Arbitrary<string> {
  return fc.tuple(arbPolicyTokens(opts), fc.integer()).map(([toks, seed]) => joinTokens(toks, opts.layout === true ? seed : undefined));
}

/** The text of a set of 1..`maxPolicies` policies (comments between them when `layout`). */
export function arbPolicySetText(opts: PolicyTextOptions & { readonly maxPolicies?: number } = {}): fc.Arbitrary<string> {
  return fc
    .tuple(fc.array(arbPolicyTokens(opts), { minLength: 1, maxLength: opts.maxPolicies ?? 4 }), fc.integer())
    .map(([ps, seed]) => {
      if (opts.layout !== true) return ps.map((t) => t.join(" ")).join("\n");
      const rnd = prng(seed ^ 0x5bd1e995);
      const head = rnd() < 0.3 ? "// header comment\n\n" : "";
      const tail = rnd() < 0.3 ? "\n// trailing comment\n" : "\n";
      return head + ps.map((t, i) => joinTokens(t, seed + i) + (rnd() < 0.2 ? " // after" : "")).join(rnd() < 0.5 ? "\n\n" : "\n// between\n") + tail;
    });
}

// ---------------------------------------------------------------------------
// Entities and requests (Cedar's JSON formats)
// ---------------------------------------------------------------------------

/** `{ "type": …, "id": … }` */
export interface UidJson {
  readonly type: string;
  readonly id: string;
}

/** One entry of Cedar's entities JSON. */
export interface EntityJson {
  readonly uid: UidJson;
  readonly attrs: Record<string, unknown>;
  readonly parents: UidJson[];
  readonly tags?: Record<string, unknown>;
}

/** A request as `{ principal, action, resource, context }` with uids as `{type, id}`. */
export interface RequestJson {
  readonly principal: UidJson;
  readonly action: UidJson;
  readonly resource: UidJson;
  readonly context: Record<string, unknown>;
}

const uid = (type: string, id: string): UidJson => ({ type, id });
const entityValue = (type: keyof typeof UNIVERSE): fc.Arbitrary<unknown> => fc.constantFrom(...UNIVERSE[type]).map((id) => ({ __entity: uid(type, id) }));
const jsonLong = fc.oneof(fc.integer({ min: -5, max: 30 }), fc.constantFrom(9007199254740991, -9007199254740991, 4611686018427387));
const jsonStr = fc.oneof(fc.constantFrom("a", "b", "x", "", "HR", "a*b"), arbStr);
const maybe = (a: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => fc.option(a, { freq: 7, nil: undefined });

function attrs(spec: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(spec);
  return fc.tuple(...keys.map((k) => maybe(spec[k]!))).map((vs) => {
    const out: Record<string, unknown> = {};
    keys.forEach((k, i) => {
      if (vs[i] !== undefined) out[k] = vs[i];
    });
    return out;
  });
}

const arbTags = fc.option(fc.dictionary(fc.constantFrom("k", "z", "other"), jsonStr, { maxKeys: 2 }), { nil: undefined });

/** Cedar entities JSON over the fixed universe (every entity present; attributes and parents vary). */
export function arbEntitiesJson(): fc.Arbitrary<EntityJson[]> {
  const subset = (type: keyof typeof UNIVERSE): fc.Arbitrary<UidJson[]> => fc.subarray([...UNIVERSE[type]]).map((ids) => ids.map((id) => uid(type, id)));
  const users = UNIVERSE.User.map((id) =>
    fc.tuple(
      attrs({
        name: jsonStr,
        age: jsonLong,
        active: fc.boolean(),
        tags: fc.uniqueArray(fc.constantFrom("a", "b", "x"), { maxLength: 3 }),
        manager: entityValue("User"),
        profile: fc.record({ level: jsonLong, dept: jsonStr }, { requiredKeys: ["level"] }),
        nick: jsonStr,
      }),
      subset("Group"),
      arbTags,
    ).map(([a, parents, tags]): EntityJson => ({ uid: uid("User", id), attrs: a, parents, ...(tags === undefined ? {} : { tags }) })),
  );
  const groups = [
    fc.tuple(attrs({ name: jsonStr }), fc.boolean()).map(([a, inStaff]): EntityJson => ({ uid: uid("Group", "admins"), attrs: a, parents: inStaff ? [uid("Group", "staff")] : [] })),
    attrs({ name: jsonStr }).map((a): EntityJson => ({ uid: uid("Group", "staff"), attrs: a, parents: [] })),
  ];
  const docs = UNIVERSE.Doc.map((id) =>
    fc.tuple(
      attrs({
        owner: entityValue("User"),
        title: jsonStr,
        size: jsonLong,
        public: fc.boolean(),
        readers: fc.uniqueArray(entityValue("User"), { maxLength: 3, selector: (v) => JSON.stringify(v) }),
      }),
      subset("Folder"),
      arbTags,
    ).map(([a, parents, tags]): EntityJson => ({ uid: uid("Doc", id), attrs: a, parents, ...(tags === undefined ? {} : { tags }) })),
  );
  const folders = [
    fc.tuple(attrs({ name: jsonStr }), fc.boolean()).map(([a, inF2]): EntityJson => ({ uid: uid("Folder", "f1"), attrs: a, parents: inF2 ? [uid("Folder", "f2")] : [] })),
    attrs({ name: jsonStr }).map((a): EntityJson => ({ uid: uid("Folder", "f2"), attrs: a, parents: [] })),
  ];
  const actions = UNIVERSE.Action.map((id): EntityJson => ({ uid: uid("Action", id), attrs: {}, parents: (ACTION_PARENTS[id] ?? []).map((p) => uid("Action", p)) }));
  return fc.tuple(...users, ...groups, ...docs, ...folders).map((es) => [...es, ...actions]);
}

/** A request over the fixed universe with a context of `flag`, `n`, `s`, `ip`, `amount` (each possibly missing). */
export function arbRequestJson(): fc.Arbitrary<RequestJson> {
  const pick = (types: readonly (keyof typeof UNIVERSE)[]): fc.Arbitrary<UidJson> => fc.constantFrom(...types).chain((t) => fc.constantFrom(...UNIVERSE[t]).map((id) => uid(t, id)));
  const context = attrs({
    flag: fc.boolean(),
    n: jsonLong,
    s: jsonStr,
    ip: fc.constantFrom("10.1.2.3", "127.0.0.1", "::1", "192.168.4.5").map((a) => ({ __extn: { fn: "ip", arg: a } })),
    amount: fc.constantFrom("1.5", "0.0001", "-3.0", "999.9").map((a) => ({ __extn: { fn: "decimal", arg: a } })),
  });
  return fc
    .tuple(fc.oneof({ weight: 4, arbitrary: pick(["User"]) }, { weight: 1, arbitrary: pick(["Group"]) }), pick(["Action"]), pick(["Doc", "Folder"]), context)
    .map(([principal, action, resource, ctx]) => ({ principal, action, resource, context: ctx }));
}

/**
 * Cedar values built from `leaf`: leaves, sets and records of them (field names from `key`),
 * nested a few levels (small depth, at most four elements or fields per level).
 */
export function arbValue(leaf: fc.Arbitrary<Value>, key: fc.Arbitrary<string>): fc.Arbitrary<Value> {
  return fc.letrec<{ v: Value }>((tie) => ({
    v: fc.oneof(
      { depthSize: "small" },
      leaf,
      fc.array(tie("v"), { maxLength: 4 }).map((xs) => new SetValue(xs)),
      fc.array(fc.tuple(key, tie("v")), { maxLength: 4 }).map((kv) => new RecordValue(new Map(kv))),
    ),
  })).v;
}
