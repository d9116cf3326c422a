/**
 * Benchmark scenario: 100+ policies governing an AI agent's tool calls —
 * agents in trust tiers, tools in toolsets, budgets, delegation depth,
 * human approval, network origin and path patterns.
 */
import { handIn, keyOf, pick, seededRandom, type EntityJson, type HandDecision, type HandIndex, type RequestJson, type Scenario, type UidJson } from "./rng.js";

const TOOLSETS = 10;
const TOOLS = 60;
const minTier = (s: number): number => s % 4;
const dangerous = (t: number): boolean => t % 5 === 0;
const toolRisk = (t: number): number => (t * 7) % 10;

const schema = `
entity AgentGroup;
entity Team;
entity Human in [Team] = { suspended: Bool };
entity Agent in [AgentGroup] = { trust: Long, suspended: Bool, owner: Human };
entity Toolset;
entity Tool in [Toolset] = { risk: Long, costCents: Long, dangerous: Bool, path: String };
action invoke, read, write appliesTo {
  principal: [Agent, Human],
  resource: [Tool],
  context: {
    budgetCents: Long,
    spentCents: Long,
    humanApproved: Bool,
    delegationDepth: Long,
    env: String,
    sourceIp: ipaddr,
  },
};
`;

function policyText(): string {
  const out: string[] = [];
  for (let s = 0; s < TOOLSETS; s++) {
    for (let k = minTier(s); k < 4; k++) {
      out.push(`@id("tier${k}-invoke-ts${s}")
permit (principal in AgentGroup::"tier-${k}", action == Action::"invoke", resource in Toolset::"ts-${s}")
when { context.spentCents + resource.costCents <= context.budgetCents };`);
    }
    out.push(`@id("tier3-write-ts${s}")
permit (principal in AgentGroup::"tier-3", action == Action::"write", resource in Toolset::"ts-${s}");`);
  }
  for (let t = 0; t < TOOLS; t++) {
    if (dangerous(t)) {
      out.push(`@id("tool${t}-prod-approval")
forbid (principal, action == Action::"invoke", resource == Tool::"tool-${t}")
when { context.env == "prod" && !context.humanApproved };`);
    } else {
      out.push(`@id("tool${t}-trust")
forbid (principal, action, resource == Tool::"tool-${t}")
when { principal is Agent && principal.trust < ${toolRisk(t)} };`);
    }
  }
  out.push(`@id("agents-read")
permit (principal is Agent, action == Action::"read", resource)
when { resource.risk <= principal.trust };`);
  out.push(`@id("delegation-depth")
forbid (principal, action, resource)
when { context.delegationDepth > 5 };`);
  out.push(`@id("internal-network")
forbid (principal, action, resource)
unless { context.sourceIp.isInRange(ip("10.0.0.0/8")) };`);
  out.push(`@id("sre-all")
permit (principal in Team::"sre", action, resource);`);
  out.push(`@id("suspended-agent")
forbid (principal is Agent, action, resource)
when { principal.suspended };`);
  out.push(`@id("suspended-human")
forbid (principal is Human, action, resource)
when { principal.suspended };`);
  out.push(`@id("no-etc-writes")
forbid (principal, action == Action::"write", resource)
when { resource.path like "/etc/*" };`);
  out.push(`@id("agent-writes-need-approval")
forbid (principal is Agent, action == Action::"write", resource)
unless { context.humanApproved };`);
  return out.join("\n\n") + "\n";
}

const uid = (type: string, id: string): UidJson => ({ type, id });

function build(): { entities: EntityJson[]; requests: RequestJson[] } {
  const rand = seededRandom(11);
  const entities: EntityJson[] = [];
  for (let k = 0; k < 4; k++) entities.push({ uid: uid("AgentGroup", `tier-${k}`), attrs: {}, parents: [] });
  const teams = ["sre", "dev", "ops"];
  for (const t of teams) entities.push({ uid: uid("Team", t), attrs: {}, parents: [] });
  const humans: UidJson[] = [];
  for (let i = 0; i < 50; i++) {
    const h = uid("Human", `human${i}`);
    humans.push(h);
    entities.push({ uid: h, attrs: { suspended: rand() < 0.05 }, parents: [uid("Team", pick(rand, teams))] });
  }
  const agents: UidJson[] = [];
  for (let i = 0; i < 800; i++) {
    const a = uid("Agent", `agent${i}`);
    agents.push(a);
    entities.push({
      uid: a,
      attrs: { trust: Math.floor(rand() * 10), suspended: rand() < 0.02, owner: { __entity: pick(rand, humans) } },
      parents: [uid("AgentGroup", `tier-${i % 4}`)],
    });
  }
  for (let s = 0; s < TOOLSETS; s++) entities.push({ uid: uid("Toolset", `ts-${s}`), attrs: {}, parents: [] });
  const tools: UidJson[] = [];
  const paths = ["/etc/passwd", "/srv/data/report.csv", "/home/agent/notes.txt", "/etc/hosts", "/var/log/app.log"];
  for (let t = 0; t < TOOLS; t++) {
    const tool = uid("Tool", `tool-${t}`);
    tools.push(tool);
    entities.push({
      uid: tool,
      attrs: { risk: toolRisk(t), costCents: 1 + Math.floor(rand() * 500), dangerous: dangerous(t), path: pick(rand, paths) },
      parents: [uid("Toolset", `ts-${t % TOOLSETS}`)],
    });
  }
  for (const a of ["invoke", "read", "write"]) entities.push({ uid: uid("Action", a), attrs: {}, parents: [] });
  const requests: RequestJson[] = [];
  for (let i = 0; i < 2000; i++) {
    const r = rand();
    requests.push({
      principal: rand() < 0.9 ? pick(rand, agents) : pick(rand, humans),
      action: uid("Action", r < 0.7 ? "invoke" : r < 0.9 ? "read" : "write"),
      resource: pick(rand, tools),
      context: {
        budgetCents: 1000,
        spentCents: Math.floor(rand() * 1200),
        humanApproved: rand() < 0.5,
        delegationDepth: Math.floor(rand() * 8),
        env: rand() < 0.6 ? "prod" : "staging",
        sourceIp: { __extn: { fn: "ip", arg: rand() < 0.9 ? `10.${Math.floor(rand() * 255)}.0.${Math.floor(rand() * 255)}` : "192.168.1.20" } },
      },
    });
  }
  return { entities, requests };
}

function handwritten(req: RequestJson, index: HandIndex): HandDecision {
  const p = keyOf(req.principal);
  const r = keyOf(req.resource);
  const a = req.action.id;
  const pa = index.attrs.get(p) as { trust?: number; suspended: boolean } | undefined;
  const ra = index.attrs.get(r) as { risk: number; costCents: number; path: string } | undefined;
  const ctx = req.context as { budgetCents: number; spentCents: number; humanApproved: boolean; delegationDepth: number; env: string; sourceIp: { __extn: { arg: string } } };
  if (pa === undefined || ra === undefined) return { decision: "deny", reasons: [] };
  const isAgent = req.principal.type === "Agent";
  const t = Number(req.resource.id.slice(5));
  const forbids: string[] = [];
  if (dangerous(t)) {
    if (a === "invoke" && ctx.env === "prod" && !ctx.humanApproved) forbids.push(`tool${t}-prod-approval`);
  } else if (isAgent && pa.trust! < toolRisk(t)) forbids.push(`tool${t}-trust`);
  if (ctx.delegationDepth > 5) forbids.push("delegation-depth");
  if (!ctx.sourceIp.__extn.arg.startsWith("10.")) forbids.push("internal-network");
  if (isAgent && pa.suspended) forbids.push("suspended-agent");
  if (!isAgent && pa.suspended) forbids.push("suspended-human");
  if (a === "write" && ra.path.startsWith("/etc/")) forbids.push("no-etc-writes");
  if (isAgent && a === "write" && !ctx.humanApproved) forbids.push("agent-writes-need-approval");
  if (forbids.length > 0) return { decision: "deny", reasons: forbids };
  const permits: string[] = [];
  for (let s = 0; s < TOOLSETS; s++) {
    if (!handIn(index, r, `Toolset::ts-${s}`)) continue;
    for (let k = minTier(s); k < 4; k++) {
      if (a === "invoke" && handIn(index, p, `AgentGroup::tier-${k}`) && ctx.spentCents + ra.costCents <= ctx.budgetCents) permits.push(`tier${k}-invoke-ts${s}`);
    }
    if (a === "write" && handIn(index, p, "AgentGroup::tier-3")) permits.push(`tier3-write-ts${s}`);
  }
  if (isAgent && a === "read" && ra.risk <= pa.trust!) permits.push("agents-read");
  if (handIn(index, p, "Team::sre")) permits.push("sre-all");
  return permits.length > 0 ? { decision: "allow", reasons: permits } : { decision: "deny", reasons: [] };
}

/** The AI-agent tool-call governance scenario (106 policies). */
export function agentTools(): Scenario {
  const { entities, requests } = build();
  const policies = policyText();
  const count = policies.split(/^@id/m).length - 1;
  return { name: `agent-tools (${count} policies, ${entities.length} entities)`, schema, policies, entities, requests, handwritten };
}
