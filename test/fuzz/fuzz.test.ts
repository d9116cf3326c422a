/**
 * The fuzz suite: fast-check over mutated policies, schemas (text and JSON), entities,
 * requests, bundles, governed executions and lineage events through every public entry
 * point (see `targets.ts`, `governed-target.ts` and `lineage-target.ts` for the contract each
 * case is held to).
 *
 * Inside `npm test` this is a short seeded slice (a few seconds). `npm run fuzz` runs it
 * longer: `npm run fuzz -- --runs 5000 --seed 42` (or the environment variables
 * `WRIT_FUZZ_RUNS` and `WRIT_FUZZ_SEED`); a failure prints its seed and path, and the same
 * seed replays it.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { parsePolicies } from "../../lang/index.js";
import { jsonText, limitPolicy, mutatedJson, mutatedText } from "./mutate.js";
import {
  bundleTarget,
  CASE_LIMIT_MS,
  docSharing,
  ENTITY_SEEDS,
  entitiesTarget,
  expectNoLeak,
  jsonSchemaTarget,
  policyTarget,
  POLICY_SEEDS,
  REQUEST_SEEDS,
  requestTarget,
  schemaTarget,
  SCHEMA_SEEDS,
  stringTarget,
} from "./targets.js";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { fixtureStore, GOVERNED_REQUEST_SEEDS, governedTarget, OPTION_SEEDS, OUTCOME_SEEDS, stats } from "./governed-target.js";
import { EVENT_SEEDS, lineageStats, lineageTarget } from "./lineage-target.js";
import { closeServer, SERVER_SEEDS, serverLogCheck, serverStats, serverTarget } from "./server-target.js";

/** Runs per target: small in `npm test`, as many as asked for in `npm run fuzz`. */
const RUNS = Number(process.env["WRIT_FUZZ_RUNS"] ?? "40");
/** One seed for every target (each derives its own stream from it). */
const SEED = Number(process.env["WRIT_FUZZ_SEED"] ?? "20261205");
const TIMEOUT = Math.max(60_000, RUNS * CASE_LIMIT_MS);

const fixture = docSharing();
const examplePolicies = parsePolicies(POLICY_SEEDS[0]!).ast!;
const jsonSchemas: unknown[] = SCHEMA_SEEDS.flatMap((src) => {
  const r = cedar.schemaToJson(src);
  return r.type === "success" ? [r.json] : [];
});

function run<T>(name: string, arb: fc.Arbitrary<T>, check: (x: T) => void, salt: number): void {
  it(
    name,
    () => {
      fc.assert(
        fc.property(arb, (x) => {
          check(x);
        }),
        { numRuns: RUNS, seed: SEED + salt, endOnFailure: true },
      );
    },
    TIMEOUT,
  );
}

/** {@link run} for a target that returns a promise. */
function runAsync<T>(name: string, arb: fc.Arbitrary<T>, check: (x: T) => Promise<void>, salt: number): void {
  it(
    name,
    async () => {
      await fc.assert(
        fc.asyncProperty(arb, async (x) => {
          await check(x);
        }),
        { numRuns: RUNS, seed: SEED + salt, endOnFailure: true },
      );
    },
    TIMEOUT,
  );
}

const governedStore = fixtureStore(fixture.loaded);

describe(`fuzz (runs ${RUNS}, seed ${SEED})`, () => {
  run("policies: parse, format, lower, compile, validate, bundle", mutatedText(POLICY_SEEDS), (t) => policyTarget(t, fixture.schema), 1);
  run("policies at and past the size limits: the same entry points", limitPolicy, (t) => policyTarget(t, fixture.schema), 8);
  run("schemas (text): parse, format, load, validate, bundle", mutatedText(SCHEMA_SEEDS), (t) => schemaTarget(t, examplePolicies), 2);
  run("schemas (JSON form): read and load", mutatedJson(jsonSchemas, 6), jsonSchemaTarget, 3);
  run("entities: JSON text and values, plain and schema-directed", mutatedJson(ENTITY_SEEDS), (v) => entitiesTarget(v, jsonText(v), fixture.schema), 4);
  run(
    "requests: read, check, decide on a loaded bundle",
    fc.tuple(mutatedJson(REQUEST_SEEDS), mutatedJson(ENTITY_SEEDS, 2)),
    ([r, e]) => requestTarget(r, e, fixture.loaded, fixture.schema),
    5,
  );
  run("bundles: loadBundle (and decide when one loads)", mutatedJson([fixture.bundleJson], 5), (b) => bundleTarget(b, REQUEST_SEEDS[0], ENTITY_SEEDS[0]), 6);
  runAsync(
    "governed executions: execute, authorize and complete with mutated requests, options and outcomes",
    // Half the requests and options as given (the first request is allowed), so that actions run and outcomes are recorded.
    fc.tuple(
      fc.oneof(fc.constant(GOVERNED_REQUEST_SEEDS[0]), mutatedJson([...GOVERNED_REQUEST_SEEDS, ...REQUEST_SEEDS], 2)),
      fc.oneof(fc.constant(OPTION_SEEDS[0]), mutatedJson(OPTION_SEEDS, 2)),
      mutatedJson(OUTCOME_SEEDS, 2),
    ),
    ([r, o, out]) => governedTarget(r, o, out, fixture.loaded, governedStore),
    9,
  );
  it("governed executions: some cases ran their action (the fuzz reached the allow path)", () => {
    expect(stats.ran).toBeGreaterThan(0);
  });
  runAsync("lineage log: append mutated events, verify, prove each offline", mutatedJson(EVENT_SEEDS, 4), lineageTarget, 10);
  it("lineage log: some batches were recorded and some refused", () => {
    expect([lineageStats.recorded > 0, lineageStats.refused > 0]).toEqual([true, true]);
  });
  it("the leak check reads Writ's words, not the input a message quotes", () => {
    // A mutated schema had an identifier `internal` where a `:` belonged (seed 1298101619).
    expect(() => expectNoLeak(["expected `:`, found `internal`", "unknown type `TypeError`"], "quoted")).not.toThrow();
    expect(() => expectNoLeak(["internal compiler error: x is undefined"], "leak")).toThrow(/leaked exception/);
    expect(() => expectNoLeak(["cannot load `a`: Cannot read properties of undefined"], "leak")).toThrow(/leaked exception/);
  });
  runAsync(
    "server: every route with mutated bodies, queries and path values",
    // Half the bodies as given, so that calls get past validation and change the server's state.
    fc.nat(SERVER_SEEDS.length - 1).chain((i) =>
      fc.tuple(
        fc.constant(i),
        fc.oneof(fc.constant(SERVER_SEEDS[i]!.body), mutatedJson([SERVER_SEEDS[i]!.body ?? null], 3)),
        fc.oneof(fc.constant(SERVER_SEEDS[i]!.query), mutatedJson([SERVER_SEEDS[i]!.query ?? {}], 3)),
        fc.oneof(fc.constant(SERVER_SEEDS[i]!.params), mutatedJson([SERVER_SEEDS[i]!.params ?? { id: "x" }], 2)),
      ),
    ),
    ([i, body, query, params]) => serverTarget(i, body, query, params),
    11,
  );
  it("server: the log it wrote verifies and replays identically; some calls were answered and some refused", async () => {
    const { events } = await serverLogCheck();
    expect(events).toBeGreaterThan(0);
    expect([serverStats.ok > 0, serverStats.refused > 0]).toEqual([true, true]);
  });
  afterAll(closeServer);
  run("strings: extension parsers, like, string helpers", mutatedText(["1.2.3.4/24", "2024-01-01T00:00:00Z", "1d2h", "-1.5", "a*b\\*c", "::1"], 4), stringTarget, 7);
});
