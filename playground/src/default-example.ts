/**
 * The example the playground opens with (also the fallback when `examples/` is empty):
 * a small document-sharing app with owners, public documents and a clearance rule.
 */
import type { PlaygroundState } from "./protocol.js";

/** Policies of the built-in example. */
export const DEFAULT_POLICIES = `// Owners may do anything with their documents.
@id("owner-access")
permit (principal, action, resource)
when { resource.owner == principal };

// Anyone may view a public document.
@id("public-view")
permit (principal, action == Action::"view", resource)
when { resource.public };

// Nobody reads above their clearance, not even an owner.
@id("clearance")
forbid (principal, action, resource)
unless { principal.clearance >= resource.classification };
`;

/** Schema of the built-in example. */
export const DEFAULT_SCHEMA = `entity Group;

entity User in [Group] {
  department: String,
  clearance: Long,
};

entity Document {
  owner: User,
  classification: Long,
  public: Bool,
};

action view, edit appliesTo {
  principal: [User],
  resource: [Document],
  context: { authenticated: Bool },
};
`;

/** Entities of the built-in example (Cedar entities JSON). */
export const DEFAULT_ENTITIES = `[
  { "uid": { "type": "Group", "id": "staff" }, "attrs": {}, "parents": [] },
  {
    "uid": { "type": "User", "id": "alice" },
    "attrs": { "department": "legal", "clearance": 3 },
    "parents": [{ "type": "Group", "id": "staff" }]
  },
  {
    "uid": { "type": "User", "id": "bob" },
    "attrs": { "department": "sales", "clearance": 1 },
    "parents": [{ "type": "Group", "id": "staff" }]
  },
  {
    "uid": { "type": "Document", "id": "contract" },
    "attrs": { "owner": { "__entity": { "type": "User", "id": "alice" } }, "classification": 2, "public": false },
    "parents": []
  },
  {
    "uid": { "type": "Document", "id": "handbook" },
    "attrs": { "owner": { "__entity": { "type": "User", "id": "alice" } }, "classification": 0, "public": true },
    "parents": []
  }
]
`;

/** Request of the built-in example (Cedar request JSON). */
export const DEFAULT_REQUEST = `{
  "principal": { "type": "User", "id": "alice" },
  "action": { "type": "Action", "id": "view" },
  "resource": { "type": "Document", "id": "contract" },
  "context": { "authenticated": true }
}
`;

/** The complete built-in state. */
export const DEFAULT_STATE: PlaygroundState = {
  policies: DEFAULT_POLICIES,
  schema: DEFAULT_SCHEMA,
  entities: DEFAULT_ENTITIES,
  request: DEFAULT_REQUEST,
  semantics: "fail-closed",
};
