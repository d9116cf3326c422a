/**
 * A governed playground state shared by the service test and the browser test: `@reason`
 * texts, obligations on two permits (merged on allow), a shadow policy, and a schema that
 * declares the obligations (so the inputs build a bundle).
 */
import type { PlaygroundState } from "../../playground/src/protocol.js";

/** A governed policy set: @reason, obligations, a shadow policy; the schema declares the obligations. */
export const GOVERNED: PlaygroundState = {
  policies: `@id("owners-view")
@reason("owners may view their documents")
permit (principal, action == Action::"view", resource)
when { resource.owner == principal }
obligations { audit: true, level: 3, channels: ["#docs"] };

@id("team-view")
@reason("the team may view")
permit (principal, action == Action::"view", resource)
obligations { level: 1, channels: ["#team"] };

@id("try-lockdown")
@mode("shadow")
forbid (principal, action, resource);
`,
  schema: `entity User;
entity Doc { owner: User };
action view appliesTo { principal: User, resource: Doc };
obligation audit: Bool;
obligation level: Long;
obligation channels: Set<String>;
`,
  entities: JSON.stringify([
    { uid: { type: "User", id: "alice" }, attrs: {}, parents: [] },
    { uid: { type: "Doc", id: "plan" }, attrs: { owner: { __entity: { type: "User", id: "alice" } } }, parents: [] },
  ]),
  request: JSON.stringify({ principal: { type: "User", id: "alice" }, action: { type: "Action", id: "view" }, resource: { type: "Doc", id: "plan" }, context: {} }),
  semantics: "fail-closed",
};
