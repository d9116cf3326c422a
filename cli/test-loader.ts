/**
 * `TestLoader`: loads and caches, by absolute path, everything test files refer
 * to — schemas, policy files, compiled programs, validation verdicts and
 * entities — so thousands of test files sharing data run in one process
 * quickly. Both test-file formats (Cedar's and Writ's) run on one loader.
 *
 * NOTE: this module knows nothing of test-file formats or of running them:
 * discovery (test-files.ts) and the runners (test-runner.ts, writ-tests.ts)
 * import it, never the other way round.
 */
import type { PolicySet } from "../lang/ast.js";
import type { CompiledPolicies, Schema } from "../compiler/index.js";
import type { Entities } from "../stdlib/index.js";
import { CliFailure, displayName, readTextFile, type Semantics, type TextFile } from "./io.js";
import { readJsonFile } from "./json-files.js";
import { entitiesFrom, errorLines, failedAs, failedWith, mergePolicySets, policiesFrom, programFrom, schemaFrom, validationOf, type Staged } from "./pipeline.js";

/** A cached stage result. */
export type Cached<T> = Staged<T>;

/** Loads and caches everything a test file refers to, by absolute path, under one semantics. */
export class TestLoader {
  private readonly texts = new Map<string, TextFile | CliFailure>();
  private readonly schemas = new Map<string, Cached<Schema>>();
  private readonly policies = new Map<string, Cached<PolicySet>>();
  private readonly programs = new Map<string, Cached<CompiledPolicies>>();
  private readonly merged = new Map<string, Cached<CompiledPolicies>>();
  private readonly validations = new Map<string, Cached<boolean>>();
  private readonly entities = new Map<string, Cached<Entities>>();
  private readonly siblings: Map<Semantics, TestLoader>;

  constructor(
    readonly semantics: Semantics,
    siblings?: Map<Semantics, TestLoader>,
  ) {
    this.siblings = siblings ?? new Map();
    this.siblings.set(semantics, this);
  }

  /** The loader of the same family for `semantics` (this one when it matches); siblings share nothing but their family. */
  withSemantics(semantics: Semantics): TestLoader {
    return this.siblings.get(semantics) ?? new TestLoader(semantics, this.siblings);
  }

  private text(path: string): TextFile | CliFailure {
    let t = this.texts.get(path);
    if (t === undefined) {
      try {
        t = readTextFile(path, displayName(path));
      } catch (err) {
        if (!(err instanceof CliFailure)) throw err;
        t = err;
      }
      this.texts.set(path, t);
    }
    return t;
  }

  private failed<T>(f: CliFailure): Cached<T> {
    return failedWith<T>(f.lines);
  }

  /** The loaded schema at `path`. */
  schema(path: string): Cached<Schema> {
    let s = this.schemas.get(path);
    if (s === undefined) {
      const t = this.text(path);
      s = t instanceof CliFailure ? this.failed(t) : schemaFrom(t);
      this.schemas.set(path, s);
    }
    return s;
  }

  /** The parsed policies at `path`. */
  policySet(path: string): Cached<PolicySet> {
    let s = this.policies.get(path);
    if (s === undefined) {
      const t = this.text(path);
      s = t instanceof CliFailure ? this.failed(t) : policiesFrom(t);
      this.policies.set(path, s);
    }
    return s;
  }

  /** The compiled policies at `path` (under this loader's semantics). */
  program(path: string): Cached<CompiledPolicies> {
    let s = this.programs.get(path);
    if (s === undefined) {
      const ps = this.policySet(path);
      const t = this.text(path);
      s = ps.value === undefined ? failedAs<CompiledPolicies>(ps) : programFrom(ps.value, this.semantics, t instanceof CliFailure ? undefined : t);
      this.programs.set(path, s);
    }
    return s;
  }

  /** The policies of several files compiled together (names `policyN` count across them in order). */
  programOf(paths: readonly string[], sets: readonly PolicySet[]): Cached<CompiledPolicies> {
    if (paths.length === 1) return this.program(paths[0]!);
    const key = paths.join("\u0000");
    let s = this.merged.get(key);
    if (s === undefined) {
      s = programFrom(mergePolicySets(sets), this.semantics);
      this.merged.set(key, s);
    }
    return s;
  }

  /** Whether the policies at `policies` validate against the schema at `schema`. */
  validation(policies: string, schema: string): Cached<boolean> {
    const key = `${policies}\u0000${schema}`;
    let s = this.validations.get(key);
    if (s === undefined) {
      const ps = this.policySet(policies);
      const sc = this.schema(schema);
      const t = this.text(policies);
      if (ps.value === undefined || t instanceof CliFailure) s = failedAs<boolean>(ps);
      else if (sc.value === undefined) s = failedAs<boolean>(sc);
      else s = validationOf(ps.value, sc.value, t);
      this.validations.set(key, s);
    }
    return s;
  }

  /** The entities at `path`, read as directed by the schema at `schema` (if any). */
  entityStore(path: string | undefined, schema: Schema | undefined, schemaPath: string | undefined): Cached<Entities> {
    const key = `${path ?? ""}\u0000${schemaPath ?? ""}`;
    let s = this.entities.get(key);
    if (s === undefined) {
      if (path === undefined) s = entitiesFrom(undefined, [], schema);
      else {
        try {
          const { file, json } = readJsonFile(path, displayName(path));
          const r = entitiesFrom(file, json, schema);
          s = r.value === undefined ? failedWith<Entities>(errorLines(r, file.name)) : r;
        } catch (err) {
          if (!(err instanceof CliFailure)) throw err;
          s = this.failed(err);
        }
      }
      this.entities.set(key, s);
    }
    return s;
  }
}
