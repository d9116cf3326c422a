/**
 * Generates N varied policies (every scope form, common operators, extension
 * calls, annotations) for the compile-time benchmark, plus a schema they
 * validate against.
 */
import { seededRandom } from "./scenarios/rng.js";

/** Schema the generated policies are checked against. */
export const corpusSchema = `
entity Team;
entity User in [Team] = { level: Long, name: String, tags: Set<String>, manager?: User, active: Bool };
entity Project in [Team] = { owner: User, budget: Long, labels: Set<String>, visibility: String };
action read, write, admin appliesTo {
  principal: [User],
  resource: [Project],
  context: { hour: Long, ip: ipaddr, mfa: Bool, cost: decimal },
};
`;

/** `n` policies as one text, deterministic. */
export function generateCorpus(n: number): string {
  const rand = seededRandom(42);
  const r = (k: number) => Math.floor(rand() * k);
  const actions = ["read", "write", "admin"];
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const effect = rand() < 0.7 ? "permit" : "forbid";
    const pScope = [`principal`, `principal == User::"u${r(1000)}"`, `principal in Team::"t${r(50)}"`, `principal is User in Team::"t${r(50)}"`][r(4)];
    const aScope = [`action`, `action == Action::"${actions[r(3)]}"`, `action in [Action::"read", Action::"write"]`][r(3)];
    const rScope = [`resource`, `resource == Project::"p${r(500)}"`, `resource in Team::"t${r(50)}"`, `resource is Project`][r(4)];
    const conds = [
      `principal.level >= ${r(10)}`,
      `resource.owner == principal`,
      `resource.labels.contains("l${r(20)}")`,
      `context.hour >= ${r(12)} && context.hour < ${12 + r(12)}`,
      `context.ip.isInRange(ip("10.${r(255)}.0.0/16"))`,
      `context.cost.lessThan(decimal("${r(100)}.${r(100)}"))`,
      `principal has manager && principal.manager.active`,
      `resource.visibility like "pub*"`,
      `principal.name != "guest${r(9)}" || context.mfa`,
      `resource.budget + ${r(1000)} > ${r(100000)}`,
      `(if context.mfa then principal.level > ${r(5)} else false)`,
      `principal.tags.containsAny(["a${r(9)}", "b${r(9)}"])`,
    ];
    const body = [conds[r(conds.length)], conds[r(conds.length)]].join(" && ");
    const kw = rand() < 0.8 ? "when" : "unless";
    parts.push(`@id("p${i}")\n${effect} (${pScope}, ${aScope}, ${rScope})\n${kw} { ${body} };`);
  }
  return parts.join("\n\n") + "\n";
}
