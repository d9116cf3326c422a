/**
 * `writ init [dir]`: scaffold a policy project that passes `writ check` and
 * `writ test` as created — a schema, policies, entities, a Writ test file, a
 * README and an example GitHub Actions workflow. Never overwrites: when any of
 * the files already exists, nothing is written and the command fails naming it.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
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
- \`.github/workflows/writ.yml\` — an example CI workflow (move it to the repository root's
  \`.github/workflows/\` if this project lives in a subfolder).

\`\`\`sh
npx writ check policies.cedar --schema schema.cedarschema
npx writ test .
npx writ fmt --check .
\`\`\`
`;

const WORKFLOW = `# Check and test the policies on every change.
# writ is a devDependency of this repository: npm install --save-dev writ
name: policies
on: [push, pull_request]
jobs:
  writ:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      - run: npm ci
      - run: npx writ fmt --check .
      # --format github turns each diagnostic into an annotation on the pull request
      - run: npx writ check policies.cedar --schema schema.cedarschema --format github
      - run: npx writ test .
`;

/** The files `writ init` writes, by path relative to the project folder. */
export const SCAFFOLD: ReadonlyMap<string, string> = new Map([
  ["schema.cedarschema", SCHEMA],
  ["policies.cedar", POLICIES],
  ["entities.json", ENTITIES],
  ["policies.writ-test.json", TESTS],
  ["README.md", README],
  [".github/workflows/writ.yml", WORKFLOW],
]);

/** Run `writ init [dir]`: write the scaffold into `dir` (default: the current folder). */
export function runInit(dir: string | undefined, io: Output): number {
  const root = resolve(dir ?? ".");
  if (existsSync(root) && !isDirectory(root)) fail("W5008", "cannot create a project here: not a folder", { file: displayName(root) });
  for (const rel of SCAFFOLD.keys()) {
    const p = join(root, rel);
    if (existsSync(p)) fail("W5008", "refusing to overwrite an existing file (nothing was written)", { file: displayName(p) });
  }
  for (const [rel, text] of SCAFFOLD) {
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
  io.out(at === "." ? "\nNext: npx writ test .\n" : `\nNext: cd ${at} && npx writ test .\n`);
  return 0;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
