/**
 * Benchmark scenario: a document-sharing app (users in groups, documents in
 * nested folders, owners, editors, classification levels) with ten policies.
 */
import { buildHandIndex, handIn, keyOf, pick, seededRandom, type EntityJson, type HandDecision, type HandIndex, type RequestJson, type Scenario, type UidJson } from "./rng.js";

const schema = `
entity Group;
entity User in [Group] = { clearance: Long, suspended: Bool, department: String };
entity Folder in [Folder];
entity Document in [Folder] = {
  owner: User,
  public: Bool,
  classification: Long,
  editors: Set<User>,
  title: String,
};
action view, edit, share, delete appliesTo {
  principal: [User],
  resource: [Document],
  context: { authenticated: Bool, mfa: Bool },
};
`;

const policies = `
@id("public-view")
permit (principal, action == Action::"view", resource)
when { resource.public };

@id("owner-full")
permit (principal, action in [Action::"view", Action::"edit", Action::"share", Action::"delete"], resource)
when { resource.owner == principal };

@id("editors-edit")
permit (principal, action in [Action::"view", Action::"edit"], resource)
when { resource.editors.contains(principal) };

@id("admins")
permit (principal in Group::"admins", action, resource);

@id("staff-shared-folder")
permit (principal in Group::"staff", action == Action::"view", resource in Folder::"shared");

@id("suspended")
forbid (principal, action, resource)
when { principal.suspended };

@id("classification")
forbid (principal, action, resource)
when { resource.classification > principal.clearance };

@id("unauthenticated")
forbid (principal, action, resource)
unless { context.authenticated };

@id("share-needs-mfa")
forbid (principal, action == Action::"share", resource)
unless { context.mfa };

@id("archived-readonly")
forbid (principal, action in [Action::"edit", Action::"delete"], resource in Folder::"archive");
`;

const uid = (type: string, id: string): UidJson => ({ type, id });
const ref = (u: UidJson) => ({ __entity: u });

/** Sizes of the generated data (defaults: the benchmark's 2.4k entities). */
export interface DocSharingSize {
  readonly users?: number;
  readonly documents?: number;
}

function build(size: DocSharingSize = {}): { entities: EntityJson[]; requests: RequestJson[] } {
  const nUsers = size.users ?? 300;
  const nDocs = size.documents ?? 2000;
  const rand = seededRandom(7);
  const entities: EntityJson[] = [];
  const groups = ["admins", "staff", "eng", "sales", "legal", "ops", "hr", "finance", "contractors", "interns"];
  for (const g of groups) entities.push({ uid: uid("Group", g), attrs: {}, parents: [] });
  const users: UidJson[] = [];
  for (let i = 0; i < nUsers; i++) {
    const u = uid("User", `user${i}`);
    users.push(u);
    const ps = [uid("Group", i % 97 === 0 ? "admins" : pick(rand, groups.slice(1)))];
    if (rand() < 0.4) ps.push(uid("Group", "staff"));
    entities.push({ uid: u, attrs: { clearance: Math.floor(rand() * 4), suspended: rand() < 0.02, department: pick(rand, groups) }, parents: ps });
  }
  const top = ["root", "shared", "archive"];
  for (const f of top) entities.push({ uid: uid("Folder", f), attrs: {}, parents: [] });
  const folders: UidJson[] = top.map((f) => uid("Folder", f));
  for (let i = 0; i < 40; i++) {
    const f = uid("Folder", `f${i}`);
    entities.push({ uid: f, attrs: {}, parents: [pick(rand, folders)] });
    folders.push(f);
  }
  const docs: UidJson[] = [];
  for (let i = 0; i < nDocs; i++) {
    const d = uid("Document", `doc${i}`);
    docs.push(d);
    const editors = Array.from({ length: Math.floor(rand() * 4) }, () => ref(pick(rand, users)));
    entities.push({
      uid: d,
      attrs: { owner: ref(pick(rand, users)), public: rand() < 0.1, classification: Math.floor(rand() * 4), editors, title: `Document ${i}` },
      parents: [pick(rand, folders)],
    });
  }
  const actions = ["view", "edit", "share", "delete"];
  for (const a of actions) entities.push({ uid: uid("Action", a), attrs: {}, parents: [] });
  const requests: RequestJson[] = [];
  for (let i = 0; i < 2000; i++) {
    requests.push({
      principal: pick(rand, users),
      action: uid("Action", pick(rand, actions)),
      resource: pick(rand, docs),
      context: { authenticated: rand() < 0.95, mfa: rand() < 0.7 },
    });
  }
  return { entities, requests };
}

function handwritten(req: RequestJson, index: HandIndex): HandDecision {
  const p = keyOf(req.principal);
  const r = keyOf(req.resource);
  const a = req.action.id;
  const pa = index.attrs.get(p) as { clearance: number; suspended: boolean } | undefined;
  const ra = index.attrs.get(r) as { owner: { __entity: UidJson }; public: boolean; classification: number; editors: { __entity: UidJson }[] } | undefined;
  const ctx = req.context as { authenticated: boolean; mfa: boolean };
  if (pa === undefined || ra === undefined) return { decision: "deny", reasons: [] };
  const forbids: string[] = [];
  if (pa.suspended) forbids.push("suspended");
  if (ra.classification > pa.clearance) forbids.push("classification");
  if (!ctx.authenticated) forbids.push("unauthenticated");
  if (a === "share" && !ctx.mfa) forbids.push("share-needs-mfa");
  if ((a === "edit" || a === "delete") && handIn(index, r, "Folder::archive")) forbids.push("archived-readonly");
  if (forbids.length > 0) return { decision: "deny", reasons: forbids };
  const permits: string[] = [];
  if (a === "view" && ra.public) permits.push("public-view");
  if (keyOf(ra.owner.__entity) === p) permits.push("owner-full");
  if ((a === "view" || a === "edit") && ra.editors.some((e) => keyOf(e.__entity) === p)) permits.push("editors-edit");
  if (handIn(index, p, "Group::admins")) permits.push("admins");
  if (a === "view" && handIn(index, p, "Group::staff") && handIn(index, r, "Folder::shared")) permits.push("staff-shared-folder");
  return permits.length > 0 ? { decision: "allow", reasons: permits } : { decision: "deny", reasons: [] };
}

/** The document-sharing scenario (optionally scaled up: more users and documents). */
export function docSharing(size: DocSharingSize = {}): Scenario {
  const { entities, requests } = build(size);
  const k = (entities.length / 1000).toFixed(1).replace(/\.0$/, "");
  return { name: `doc-sharing (10 policies, ${k}k entities)`, schema, policies, entities, requests, handwritten };
}

export { buildHandIndex };
