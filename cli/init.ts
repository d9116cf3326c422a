/**
 * `writ init [dir]`: scaffold a policy project that passes `writ check` and
 * `writ test` as created — a schema, policies, entities, a Writ test file, a
 * `package.json` that pins writ as a devDependency, a README and a GitHub
 * Actions workflow whose steps run as written (`npm install`, then the writ
 * commands; test/cli/package.test.ts runs them on an installed package). Never
 * overwrites: when any of the files already exists, nothing is written and the
 * command fails naming it.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { displayName, fail, type Output } from "./io.js";

const SCHEMA = `// The types of this project: who acts, on what, and what each request carries.
entity Team;

entity User in [Team] = {
  // "engineer" or "manager"
  role: String
};

entity Document = {
  owner: User,
  team: Team,
  // "internal" or "secret"
  classification: String
};

action view, edit appliesTo {
  principal: [User],
  resource: [Document],
  context: {
    // Did the caller authenticate with a second factor?
    mfa: Bool
  }
};
`;

const POLICIES = `// Who may do what. Default deny: a request is allowed only when a permit applies
// and no forbid does. Check with \`writ check\`, test with \`writ test\`.

@id("owners-edit")
@reason("owners may view and edit their documents")
permit (
  principal,
  action in [Action::"view", Action::"edit"],
  resource
)
when { resource.owner == principal };

@id("team-views")
@reason("team members may view their team's documents")
permit (
  principal,
  action == Action::"view",
  resource
)
when { principal in resource.team };

@id("secret-needs-mfa")
@reason("secret documents need a second factor")
forbid (principal, action, resource)
when { resource.classification == "secret" && !context.mfa };
`;

const ENTITIES = `${JSON.stringify(
  [
    { uid: { type: "Team", id: "eng" }, attrs: {}, parents: [] },
    { uid: { type: "User", id: "alice" }, attrs: { role: "manager" }, parents: [{ type: "Team", id: "eng" }] },
    { uid: { type: "User", id: "bob" }, attrs: { role: "engineer" }, parents: [{ type: "Team", id: "eng" }] },
    { uid: { type: "User", id: "eve" }, attrs: { role: "engineer" }, parents: [] },
    {
      uid: { type: "Document", id: "roadmap" },
      attrs: { owner: { __entity: { type: "User", id: "alice" } }, team: { __entity: { type: "Team", id: "eng" } }, classification: "internal" },
      parents: [],
    },
    {
      uid: { type: "Document", id: "keys" },
      attrs: { owner: { __entity: { type: "User", id: "alice" } }, team: { __entity: { type: "Team", id: "eng" } }, classification: "secret" },
      parents: [],
    },
  ],
  null,
  2,
)}\n`;

function testCase(description: string, user: string, action: string, doc: string, mfa: boolean, decision: "allow" | "deny", reasons: string[]): unknown {
  return {
    description,
    principal: { type: "User", id: user },
    action: { type: "Action", id: action },
    resource: { type: "Document", id: doc },
    context: { mfa },
    expect: { decision, reasons, errors: 0 },
  };
}

const TESTS = `${JSON.stringify(
  {
    "writ-test": 1,
    policies: "policies.cedar",
    schema: "schema.cedarschema",
    entities: "entities.json",
    cases: [
      testCase("an owner may edit her document", "alice", "edit", "roadmap", false, "allow", ["owners-edit"]),
      testCase("a team member may view the team's document", "bob", "view", "roadmap", false, "allow", ["team-views"]),
      testCase("a team member may not edit someone else's document", "bob", "edit", "roadmap", false, "deny", []),
      testCase("someone outside the team may not view it", "eve", "view", "roadmap", false, "deny", []),
      testCase("a secret document needs a second factor", "bob", "view", "keys", false, "deny", ["secret-needs-mfa"]),
      testCase("with a second factor the team may view it", "bob", "view", "keys", true, "allow", ["team-views"]),
    ],
  },
  null,
  2,
)}\n`;

const README = `# Policies

Authorization policies written in Writ (Cedar-compatible), with their schema and tests.

- \`schema.cedarschema\` — entity types, actions and request contexts.
- \`policies.cedar\` — the policies; \`@id\` names each one, \`@reason\` explains it.
- \`entities.json\` — example entities (Cedar's JSON format) the tests decide against.
- \`policies.writ-test.json\` — requests with their expected decisions and reasons.
- \`package.json\` — pins writ as a devDependency (\`npm install\` installs it; commit the
  \`package-lock.json\` it writes and CI can use \`npm ci\` instead).
- \`.github/workflows/writ.yml\` — the CI workflow: it installs writ and runs the three
  commands below (if this project lives in a subfolder of its repository, move the file to
  the repository root's \`.github/workflows/\`; its \`working-directory\` already points here).

\`\`\`sh
npm install
npx writ check policies.cedar --schema schema.cedarschema
npx writ test .
npx writ fmt --check .
\`\`\`
`;

/** The workflow; `workingDirectory` is the project folder relative to its repository's root (`.` at the root). */
function workflow(workingDirectory: string): string {
  const defaults = workingDirectory === "." ? "" : `    defaults:\n      run:\n        working-directory: ${JSON.stringify(workingDirectory)}\n`;
  return `# Check and test the policies on every change.
name: policies
on: [push, pull_request]
jobs:
  writ:
    runs-on: ubuntu-latest
${defaults}    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      # Installs writ from package.json (once package-lock.json is committed, \`npm ci\` is faster).
      - run: npm install --no-audit --no-fund
      - run: npx writ fmt --check .
      # --format github turns each diagnostic into an annotation on the pull request
      - run: npx writ check policies.cedar --schema schema.cedarschema --format github
      - run: npx writ test .
`;
}

/** A package name made from a folder name (npm's rules: lower case, URL-safe, no leading dot or underscore). */
function packageName(folder: string): string {
  const name = folder
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+/, "")
    .slice(0, 200);
  return name === "" ? "policies" : name;
}

function packageJson(folder: string, version: string): string {
  const range = /^\d+\.\d+\.\d+/.test(version) ? `^${version.match(/^\d+\.\d+\.\d+/)![0]}` : "*";
  const pkg = {
    name: packageName(folder),
    private: true,
    description: "Authorization policies written in Writ",
    scripts: {
      check: "writ check policies.cedar --schema schema.cedarschema",
      test: "writ test .",
      "fmt:check": "writ fmt --check .",
    },
    devDependencies: { writ: range },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** The folder holding `.git` at or above `dir`, if any. */
function repositoryRoot(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, ".git"))) return d;
    if (dirname(d) === d) return undefined;
  }
}

/** The paths `writ init` writes, relative to the project folder. */
export const SCAFFOLD_FILES: readonly string[] = ["schema.cedarschema", "policies.cedar", "entities.json", "policies.writ-test.json", "package.json", "README.md", ".github/workflows/writ.yml"];

/** The files `writ init` writes into `root` (by path relative to it), for the writ `version` that runs. */
export function scaffold(root: string, version: string): ReadonlyMap<string, string> {
  const repo = repositoryRoot(root);
  const rel = repo === undefined ? "." : relative(repo, root).split(sep).join("/") || ".";
  return new Map([
    ["schema.cedarschema", SCHEMA],
    ["policies.cedar", POLICIES],
    ["entities.json", ENTITIES],
    ["policies.writ-test.json", TESTS],
    ["package.json", packageJson(basename(root), version)],
    ["README.md", README],
    [".github/workflows/writ.yml", workflow(rel)],
  ]);
}

/** Run `writ init [dir]`: write the scaffold into `dir` (default: the current folder); `version` is the running writ's. */
export function runInit(dir: string | undefined, io: Output, version: string): number {
  const root = resolve(dir ?? ".");
  if (existsSync(root) && !isDirectory(root)) fail("W5008", "cannot create a project here: not a folder", { file: displayName(root) });
  const files = scaffold(root, version);
  for (const rel of files.keys()) {
    const p = join(root, rel);
    if (existsSync(p)) fail("W5008", "refusing to overwrite an existing file (nothing was written)", { file: displayName(p) });
  }
  for (const [rel, text] of files) {
    const p = join(root, rel);
    try {
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, text, { encoding: "utf8", flag: "wx" });
    } catch (err) {
      const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
      fail("W5001", `cannot write file: ${typeof code === "string" ? code : "unwritable"}`, { file: displayName(p) });
    }
    io.out(`created ${displayName(p)}\n`);
  }
  const at = displayName(root);
  io.out(at === "." ? "\nNext: npm install && npx writ test .\n" : `\nNext: cd ${at} && npm install && npx writ test .\n`);
  return 0;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
