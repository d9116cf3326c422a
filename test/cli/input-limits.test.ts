/**
 * Hostile inputs at the CLI's file-reading layer: what is not a regular file
 * (a character device such as /dev/zero, a FIFO) is refused with one line
 * before anything is read; the 10 MiB limit counts bytes read (standard input
 * included), never the size `stat` reports; bytes that are not UTF-8 are
 * refused with W5020 naming the byte offset, and `writ fmt` never rewrites a
 * file that did not decode.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeUtf8, firstInvalidUtf8 } from "../../cli/utf8.js";
import { MAX_INPUT_BYTES, memoryOutput } from "../../cli/io.js";
import { runCli } from "../../cli/main.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SCHEMA = join(ROOT, "examples", "doc-sharing", "schema.cedarschema");

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "writ-limits-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function bin(args: readonly string[], input: string | Buffer = ""): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "writ.js"), ...args], { cwd: tmp, input, encoding: "utf8", timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function writ(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = memoryOutput();
  const code = await runCli(args, io, {});
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
function decodes(bytes: Uint8Array): boolean {
  try {
    strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

describe("files that are not regular files", () => {
  it.skipIf(!existsSync("/dev/zero"))("writ check /dev/zero: one line, exit 2, nothing read", () => {
    const r = bin(["check", "/dev/zero"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("/dev/zero: error W5001: cannot read file: a character device, expected a regular file (use `-` to read standard input)\n");
    expect(r.stdout).toBe("");
  });

  it.skipIf(process.platform === "win32")("a FIFO is refused without opening it for reading (no writer needed, no hang)", () => {
    const fifo = join(tmp, "pipe.cedar");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    for (const args of [["check", fifo], ["fmt", fifo], ["eval", "--policies", fifo, "--entities", fifo, "--request", fifo]]) {
      const r = bin(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/pipe\.cedar: error W5001: cannot read file: a FIFO, expected a regular file/);
    }
  });

  it("a folder where a file is expected is one line", async () => {
    const r = await writ(["eval", "--policies", join(ROOT, "examples", "doc-sharing"), "--entities", tmp, "--request", tmp]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/: error W5001: cannot read file: is a directory, expected a file\n$/);
  });
});

describe("the size limit counts bytes read", () => {
  it("standard input over the limit is refused with W5005", () => {
    const big = Buffer.alloc(MAX_INPUT_BYTES + 1, 0x20);
    const r = bin(["check", "-"], big);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`<stdin>: error W5005: input too large: more than ${MAX_INPUT_BYTES} bytes (limit ${MAX_INPUT_BYTES} bytes)\n`);
  });

  it("standard input at the limit is read", () => {
    const text = `permit (principal, action, resource);${" ".repeat(MAX_INPUT_BYTES - 38)}\n`;
    expect(Buffer.byteLength(text)).toBe(MAX_INPUT_BYTES);
    const r = bin(["check", "-"], text);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("a regular file over the limit is refused by its size", async () => {
    const p = join(tmp, "big.cedar");
    writeFileSync(p, Buffer.alloc(MAX_INPUT_BYTES + 5, 0x20));
    const r = await writ(["check", p]);
    expect(r.stderr).toBe(`${p}: error W5005: input too large: ${MAX_INPUT_BYTES + 5} bytes (limit ${MAX_INPUT_BYTES} bytes)\n`);
  });
});

describe("invalid UTF-8", () => {
  const policy = Buffer.concat([Buffer.from("permit (principal, action, resource)\nwhen { \"caf"), Buffer.from([0xe9]), Buffer.from('" == "x" };\n')]);

  it("a policy file: W5020 with the byte offset, at the line and column where it stands", async () => {
    const p = join(tmp, "latin1.cedar");
    writeFileSync(p, policy);
    const r = await writ(["check", p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${p}:2:12: error W5020: invalid UTF-8 at byte offset 48 (byte 0xe9): the file must be UTF-8 text\n`);
  });

  it("a schema and JSON files (entities, requests, test files) alike", async () => {
    const schema = join(tmp, "bad.cedarschema");
    writeFileSync(schema, Buffer.concat([Buffer.from("entity User;\n// "), Buffer.from([0xc0, 0xaf]), Buffer.from("\n")]));
    expect((await writ(["check", join(ROOT, "examples", "doc-sharing", "policies.cedar"), "--schema", schema])).stderr).toMatch(/bad\.cedarschema:2:4: error W5020: invalid UTF-8 at byte offset 16 \(byte 0xc0\)/);
    const json = join(tmp, "bad.json");
    writeFileSync(json, Buffer.concat([Buffer.from('[{"uid": "'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}]')]));
    const e = await writ(["eval", "--policies", join(tmp, "latin1.cedar"), "--entities", json, "--request", json]);
    expect(e.code).toBe(2);
    const t = await writ(["test", json]);
    expect(t.stdout).toMatch(/bad\.json:1:11: error W5020: invalid UTF-8 at byte offset 10 \(byte 0xed\)/);
    expect(t.code).toBe(1);
  });

  it("writ fmt reports it and never rewrites the file", async () => {
    const p = join(tmp, "keep.cedar");
    writeFileSync(p, policy);
    const r = await writ(["fmt", p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/keep\.cedar:2:12: error W5020/);
    expect(readFileSync(p).equals(policy)).toBe(true);
    const check = await writ(["fmt", "--check", p]);
    expect(check.code).toBe(2);
    expect(readFileSync(p).equals(policy)).toBe(true);
  });

  it("a byte-order mark is dropped; a valid file checks", async () => {
    const p = join(tmp, "bom.cedar");
    writeFileSync(p, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("permit (principal, action, resource);\n")]));
    expect((await writ(["check", p])).code).toBe(0);
    expect((await writ(["check", p, "--schema", SCHEMA])).stdout).toMatch(/^ok: 1 policy/);
  });

  it("always: the scanner agrees with a fatal TextDecoder, and the offset ends the longest valid prefix", () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 24 }),
      fc.array(fc.oneof(fc.string({ unit: "grapheme", maxLength: 4 }).map((s: string) => [...Buffer.from(s)]), fc.uint8Array({ maxLength: 3 }).map((a) => [...a])), { maxLength: 8 }).map((parts) => Uint8Array.from(parts.flat())),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        const at = firstInvalidUtf8(b);
        expect(at === undefined).toBe(decodes(b));
        const r = decodeUtf8(b);
        expect(r.ok).toBe(at === undefined);
        if (at !== undefined && !r.ok) {
          expect(r.offset).toBe(at);
          expect(decodes(b.subarray(0, at))).toBe(true);
          expect(r.before).toBe(strict.decode(b.subarray(0, at)));
          // No longer prefix that ends inside the bad sequence decodes to more text.
          expect(decodes(b.subarray(0, at + 4 <= b.length ? at + 4 : b.length))).toBe(false);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("known edge cases: overlong, surrogates, above U+10FFFF, truncated", () => {
    for (const [bytes, at] of [
      [[0x41, 0xc0, 0x80], 1],
      [[0xe0, 0x80, 0x80], 0],
      [[0xed, 0xa0, 0x80], 0],
      [[0xf4, 0x90, 0x80, 0x80], 0],
      [[0x41, 0x42, 0xe2, 0x82], 2],
      [[0xf0, 0x9f, 0x98, 0x80], undefined],
      [[0xef, 0xbb, 0xbf, 0x41], undefined],
    ] as const) {
      expect(firstInvalidUtf8(Uint8Array.from(bytes)), bytes.join(",")).toBe(at);
    }
  });
});

describe("key files go through the same reading layer", () => {
  it.skipIf(!existsSync("/dev/zero"))("--key /dev/zero and --sign /dev/zero are refused, not read", () => {
    const pol = join(ROOT, "examples", "doc-sharing", "policies.cedar");
    const c = bin(["compile", pol, "--schema", SCHEMA, "--json", "--sign", "/dev/zero"]);
    expect([c.code, c.stderr]).toEqual([2, "/dev/zero: error W5001: cannot read file: a character device, expected a regular file (use `-` to read standard input)\n"]);
    const v = bin(["lineage", "verify-proof", join(tmp, "p.json"), "--key", "/dev/zero"]);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/^\/dev\/zero: error W5001: cannot read file: a character device/);
  });

  it("--key - reads the public key from standard input", () => {
    const dir = mkdtempSync(join(tmp, "keys-"));
    const keygen = spawnSync(process.execPath, [join(ROOT, "bin", "writ.js"), "keygen", join(dir, "k")], { encoding: "utf8" });
    expect(keygen.status).toBe(0);
    const pol = join(ROOT, "examples", "doc-sharing", "policies.cedar");
    const bundle = join(dir, "b.json");
    expect(bin(["compile", pol, "--schema", SCHEMA, "--sign", join(dir, "k.key"), "-o", bundle]).code).toBe(0);
    const req = join(dir, "r.json");
    writeFileSync(req, JSON.stringify({ principal: { type: "DocShare::User", id: "alice" }, action: { type: "DocShare::Action", id: "view" }, resource: { type: "DocShare::Document", id: "q3-roadmap" }, context: { mfa: true, sourceIp: "10.1.2.3" } }));
    const r = bin(["eval", "--bundle", bundle, "--key", "-", "--no-state", "--entities", join(ROOT, "examples", "doc-sharing", "entities.json"), "--request", req], readFileSync(join(dir, "k.pub")));
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^decision: allow\n/);
  });
});
