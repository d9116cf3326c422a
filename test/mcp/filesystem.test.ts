/**
 * examples/mcp (a filesystem agent) in front of `@modelcontextprotocol/server-filesystem`:
 * reads inside the workspace return what the server returns directly, reads outside it are
 * refused, writes need an approval bound to the exact call (a declined, unanswerable or
 * expired approval leaves no file), and nothing outside the workspace is moved away.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLocalLog } from "../../runtime/index.js";
import { direct, ensureBuilt, FILESYSTEM, ROOT, throughGateway, writ, type Approver, refusal, type Connected } from "./support.js";

function copyExample(): string {
  const dir = mkdtempSync(join(tmpdir(), "writ-mcp-fs-"));
  cpSync(join(ROOT, "examples", "mcp"), dir, { recursive: true, filter: (src) => !src.includes(".writ") });
  return dir;
}

function args(dir: string, extra: readonly string[] = []): string[] {
  return [
    "--policies", join(dir, "policies.cedar"),
    "--schema", join(dir, "schema.cedarschema"),
    "--entities", join(dir, "entities.json"),
    "--principal", 'Agent::"assistant"',
    "--name", "files",
    "--dir", dir,
    ...extra,
  ];
}

/** Every stored event of the log under `dir` (read-only). */
async function events(dir: string): Promise<Record<string, unknown>[]> {
  const opened = await openLocalLog({ dir, readOnly: true });
  if (!opened.ok) throw new Error(opened.problem.message);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < opened.log.size; i++) out.push((await opened.log.get(i))!.event);
  await opened.log.close();
  return out;
}

describe("examples/mcp: a filesystem agent behind writ mcp", () => {
  let dir: string;
  let straight: Connected;
  const asked: string[] = [];
  const approve: Approver = (message) => {
    asked.push(message);
    return { action: "accept", content: { approve: true } };
  };
  let approving: Connected;

  beforeAll(async () => {
    ensureBuilt();
    dir = copyExample();
    [straight, approving] = await Promise.all([direct([FILESYSTEM, dir]), throughGateway(args(dir), [FILESYSTEM, dir], approve)]);
  });

  afterAll(async () => {
    await Promise.allSettled([straight?.close(), approving?.close()]);
  });

  it("reads inside the workspace return exactly what the server returns directly", async () => {
    for (const [name, a] of [
      ["read_text_file", { path: "workspace/notes.md" }],
      ["list_directory", { path: "workspace" }],
      ["get_file_info", { path: "workspace/notes.md" }],
      ["read_multiple_files", { paths: ["workspace/notes.md"] }],
    ] as const) {
      const [through, plain] = await Promise.all([approving.client.callTool({ name, arguments: a }), straight.client.callTool({ name, arguments: a })]);
      expect(through, name).toEqual(plain);
    }
    const read = await approving.client.callTool({ name: "read_text_file", arguments: { path: "workspace/notes.md" } });
    expect(JSON.stringify(read.content)).toContain("The agent may read this file.");
  });

  it("reads outside the workspace are refused, and the server would have allowed them", async () => {
    const plain = await straight.client.callTool({ name: "read_text_file", arguments: { path: "outside.txt" } });
    expect(JSON.stringify(plain.content)).toContain("Outside the workspace");
    for (const path of ["outside.txt", join(dir, "outside.txt"), "workspace/../outside.txt"]) {
      const e = await refusal(approving.client.callTool({ name: "read_text_file", arguments: { path } }));
      expect(e.code, path).toBe(-32001);
      expect(JSON.stringify(e.data)).not.toContain("Outside the workspace");
    }
    const up = await refusal(approving.client.callTool({ name: "read_text_file", arguments: { path: "workspace/../outside.txt" } }));
    expect(up.data).toMatchObject({ reasons: [{ policy: "no-parent-paths" }] });
  });

  it("a write the person approves runs once, and the approval bound to the call is recorded", async () => {
    const target = join(dir, "workspace", "approved.md");
    const r = await approving.client.callTool({ name: "write_file", arguments: { path: "workspace/approved.md", content: "approved text" } });
    expect(r.isError).not.toBe(true);
    expect(readFileSync(target, "utf8")).toBe("approved text");
    const msg = asked.at(-1)!;
    expect(msg).toContain('Agent::"assistant" asks to call `write_file` on files');
    expect(msg).toMatch(/arguments digest: sha256:[0-9a-f]{64}/);
    expect(msg).toMatch(/bundle: sha256:[0-9a-f]{64}/);
    expect(msg).toMatch(/expires: \d{4}-\d\d-\d\dT/);
    const approval = /approval: (sha256:[0-9a-f]{64})/.exec(msg)![1];
    await approving.close();
    const evs = await events(dir);
    const verified = evs.find((e) => e["phase"] === "verified" && JSON.stringify(e).includes(approval!));
    expect(verified).toBeDefined();
    const evidence = (verified!["outcome"] as { evidence: Record<string, Record<string, unknown>> }).evidence;
    expect(evidence["require_approval"]).toMatchObject({ approval, tool: "write_file", answer: "accept" });
    expect(evidence["notify"]).toEqual({ channels: ["#files"] });
    expect(writ(["lineage", "verify", "--dir", dir]).code).toBe(0);
  });

  it("a declined, unanswerable or expired approval leaves no file", async () => {
    const cases: { name: string; approver?: Approver; extra?: string[] }[] = [
      { name: "declined", approver: () => ({ action: "decline" }) },
      { name: "not-approved", approver: () => ({ action: "accept", content: { approve: false } }) },
      { name: "no-elicitation" },
      { name: "expired", approver: () => new Promise((r) => setTimeout(() => r({ action: "accept", content: { approve: true } }), 1500)), extra: ["--approval-ttl", "1"] },
    ];
    // One log has one writer: each concurrent gateway records under its own --dir.
    const logs = cases.map(() => mkdtempSync(join(tmpdir(), "writ-mcp-log-")));
    const sessions = await Promise.all(cases.map((c, i) => throughGateway([...args(dir, c.extra), "--dir", logs[i]!], [FILESYSTEM, dir], c.approver)));
    try {
      await Promise.all(
        cases.map(async (c, i) => {
          const e = await refusal(sessions[i]!.client.callTool({ name: "write_file", arguments: { path: `workspace/${c.name}.md`, content: "x" } }));
          expect(e.code, c.name).toBe(-32001);
          expect(e.data, c.name).toMatchObject({ code: "W9008" });
          expect(existsSync(join(dir, "workspace", `${c.name}.md`)), c.name).toBe(false);
        }),
      );
    } finally {
      await Promise.allSettled(sessions.map((s) => s.close()));
    }
    // The declined approval is on record: its id and the answer, in the refused `verified` event.
    const verified = (await events(logs[0]!)).find((e) => e["phase"] === "verified");
    expect(verified?.["outcome"]).toMatchObject({ status: "refused", obligations: [], evidence: { require_approval: { tool: "write_file", answer: "decline" } } });
  });

  it("nothing outside the workspace is moved away; inside, a move runs with approval", async () => {
    const s = await throughGateway(args(dir), [FILESYSTEM, dir], () => ({ action: "accept", content: { approve: true } }));
    try {
      const e = await refusal(s.client.callTool({ name: "move_file", arguments: { source: "outside.txt", destination: "workspace/stolen.txt" } }));
      expect(e.data).toMatchObject({ reasons: [{ policy: "no-deletes-outside-workspace" }] });
      expect(existsSync(join(dir, "outside.txt"))).toBe(true);
      expect(existsSync(join(dir, "workspace", "stolen.txt"))).toBe(false);
      await s.client.callTool({ name: "move_file", arguments: { source: "workspace/approved.md", destination: "workspace/moved.md" } });
      expect(readFileSync(join(dir, "workspace", "moved.md"), "utf8")).toBe("approved text");
    } finally {
      await s.close();
    }
  });
});
