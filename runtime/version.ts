/**
 * The Writ package version, as stamped into decision records (`evaluator: "writ/<version>"`).
 * NOTE: kept equal to package.json's version by test/runtime/decision-record.test.ts (the
 * runtime cannot read package.json in the browser).
 */
export const WRIT_VERSION = "0.1.0";

/** The evaluator tag of decision records. */
export const EVALUATOR = `writ/${WRIT_VERSION}`;
