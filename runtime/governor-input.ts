/**
 * The governor's checks of what its callers pass: the options of `authorize` and `execute`,
 * the authorization and outcome given to `complete`, and a bundle or entity store swapped in.
 * Wrong input is refused before anything is recorded, with a problem naming the field. Events
 * are written from these values, so a call with an `actor` that is not a string (say) would
 * otherwise record an event that later readers of the log — a child's parent check, replay,
 * the server's index — cannot use as a lineage event. Strings that go into events must have
 * canonical JSON (no lone UTF-16 surrogate), or the append itself would fail: a recording
 * failure (W7006, a server error) caused by the caller's input.
 *
 * NOTE: browser-safe.
 */
import { wellFormed } from "../compiler/canonical.js";
import { problem, type Problem } from "../compiler/compile-ir.js";
import { MAX_JSON_DEPTH } from "../stdlib/json.js";
import { notLoadedBundle } from "./bundle.js";
import { EntityStore } from "./entity-store.js";

function isObject(x: unknown): x is Readonly<Record<string, unknown>> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function invalid(detail: string): Problem {
  return problem("W7009", { detail });
}

/** A string with a lone UTF-16 surrogate: RFC 8785 has no text for it, so no event can hold it. */
function illFormed(s: string): boolean {
  return !wellFormed(s);
}

/**
 * Why plain JSON cannot go into an event — a string or key with a lone surrogate, nesting
 * deeper than `MAX_JSON_DEPTH` — or undefined.
 */
function unrecordable(x: unknown, depth = 0, limit = MAX_JSON_DEPTH): string | undefined {
  if (typeof x === "string") return illFormed(x) ? "holds a string that is not valid Unicode (a lone surrogate)" : undefined;
  if (typeof x !== "object" || x === null) return undefined;
  if (depth >= limit) return `is nested deeper than ${limit} levels`;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      const why = unrecordable(x[i], depth + 1, limit);
      if (why !== undefined) return why;
    }
    return undefined;
  }
  // NOTE: `for…in` with the own-property check, not `Object.entries`: no pair arrays per object (this runs on every authorize).
  const o = x as Readonly<Record<string, unknown>>;
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
    if (illFormed(k)) return "holds a key that is not valid Unicode (a lone surrogate)";
    const why = unrecordable(o[k], depth + 1, limit);
    if (why !== undefined) return why;
  }
  return undefined;
}

/** `undefined`, or one of `allowed`. */
function oneOf(x: unknown, allowed: readonly string[]): boolean {
  return x === undefined || (typeof x === "string" && allowed.includes(x));
}

/**
 * Refuse, before anything changes, a bundle that cannot decide or entities that are not a
 * store (every execution would deny). `bundleRequired`: the constructor's options must name one.
 * @throws TypeError naming W7010.
 */
export function checkSwap(next: { readonly bundle?: unknown; readonly entities?: unknown }, bundleRequired: boolean): void {
  const notLoaded = bundleRequired || next.bundle !== undefined ? notLoadedBundle(next.bundle) : undefined;
  if (notLoaded !== undefined) throw new TypeError(`${problem("W7010", { detail: notLoaded }).message} (W7010)`);
  if (next.entities !== undefined && !(next.entities instanceof EntityStore)) throw new TypeError("the entities are not an entity store (use the `store` of loadEntities) (W7010)");
}

/**
 * Check the options of a new governor.
 * @throws TypeError naming the option of the wrong type (W7010 for the bundle and entities).
 */
export function checkGovernorOptions(options: unknown): void {
  if (!isObject(options)) throw new TypeError("the governor's options must be an object `{ log, bundle, node, … }`");
  const log = options["log"];
  if (!isObject(log) || !isObject(log["store"]) || !isObject(log["crypto"])) throw new TypeError("the governor's `log` must be an open lineage log (the `log` of openLocalLog)");
  if (typeof options["node"] !== "string") throw new TypeError("the governor's `node` must be a string (this decision node's name)");
  const handlers = options["handlers"];
  if (handlers !== undefined && !(isObject(handlers) && Object.values(handlers).every((h) => typeof h === "function"))) throw new TypeError("the governor's `handlers` must be an object of functions (one per obligation)");
  for (const f of ["clock", "newExecutionId"] as const) {
    if (options[f] !== undefined && typeof options[f] !== "function") throw new TypeError(`the governor's \`${f}\` must be a function`);
  }
  checkSwap(options, true);
}

/** Why the options of `authorize` or `execute` cannot be used (W7009), or undefined. Never throws on plain values. */
export function callOptionsProblem(options: unknown): Problem | undefined {
  if (!isObject(options)) return invalid("the options must be an object with an `actor` string");
  if (typeof options["actor"] !== "string") return invalid("`actor` must be a string (who asks)");
  if (illFormed(options["actor"])) return invalid("`actor` is not valid Unicode (a lone surrogate)");
  const parent = options["parent"];
  if (parent !== undefined && typeof parent !== "string") return invalid("`parent` must be an event id (a string)");
  if (parent !== undefined && illFormed(parent)) return invalid("`parent` is not valid Unicode (a lone surrogate), so it is no event id");
  const entities = options["entities"];
  if (entities !== undefined && !(entities instanceof EntityStore)) return invalid("`entities` must be an entity store (the `store` of loadEntities)");
  if (!oneOf(options["obligationsBy"], ["handlers", "caller"])) return invalid('`obligationsBy` must be "handlers" or "caller"');
  if (!oneOf(options["invalidInput"], ["record", "refuse"])) return invalid('`invalidInput` must be "record" or "refuse"');
  const hook = options["onAuthorizing"];
  if (hook !== undefined && typeof hook !== "function") return invalid("`onAuthorizing` must be a function");
  return undefined;
}

/**
 * Why a request cannot be recorded in a `requested` event (W5004, invalid request), or undefined: a string or
 * key with a lone surrogate has no canonical JSON. Checked to the depth the request readers
 * look (a request nested deeper is denied as such, and recorded when it can be).
 */
export function requestProblem(request: unknown): Problem | undefined {
  const why = unrecordable(request, 0, MAX_JSON_DEPTH + 2);
  return why === undefined || why.startsWith("is nested") ? undefined : problem("W5004", { detail: `the request ${why}: it cannot be recorded` });
}

/** Why `auth` is not an authorization `complete` can record an outcome for (W7009), or undefined. */
export function authorizationProblem(auth: unknown): Problem | undefined {
  if (!isObject(auth) || typeof auth["execution"] !== "string") return invalid("not an authorization (the result of `authorize`)");
  if (auth["allowed"] !== true || typeof auth["authorizedEvent"] !== "string") return invalid(`execution ${auth["execution"]} was not authorized`);
  if (typeof auth["actor"] !== "string" || !isObject(auth["obligations"])) return invalid(`the authorization of execution ${auth["execution"]} has no \`actor\` string or \`obligations\` object`);
  return undefined;
}

/** Why an outcome cannot be recorded (W7009), or undefined. */
export function outcomeProblem(outcome: unknown): Problem | undefined {
  if (!isObject(outcome)) return invalid("the outcome must be an object `{ ok, detail?, resultDigest?, obligations?, evidence? }`");
  if (typeof outcome["ok"] !== "boolean") return invalid("the outcome's `ok` must be true or false");
  for (const field of ["detail", "resultDigest"] as const) {
    if (outcome[field] !== undefined && typeof outcome[field] !== "string") return invalid(`the outcome's \`${field}\` must be a string`);
  }
  const obligations = outcome["obligations"];
  if (obligations !== undefined && !(Array.isArray(obligations) && obligations.every((o) => typeof o === "string"))) return invalid("the outcome's `obligations` must be a list of obligation names");
  if (outcome["evidence"] !== undefined && !isObject(outcome["evidence"])) return invalid("the outcome's `evidence` must be an object (evidence by obligation name)");
  for (const field of ["detail", "resultDigest", "obligations", "evidence"] as const) {
    const why = unrecordable(outcome[field]);
    if (why !== undefined) return invalid(`the outcome's \`${field}\` ${why}`);
  }
  return undefined;
}
