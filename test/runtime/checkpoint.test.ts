import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { browserEd25519 } from "../../runtime/crypto/ed25519-browser.js";
import { nodeEd25519 } from "../../runtime/crypto/ed25519-node.js";
import {
  checkpointBody,
  keyIdOf,
  parseCheckpoint,
  parseVerifierKey,
  signCheckpoint,
  verifierKey,
  verifyCheckpoint,
} from "../../runtime/lineage/checkpoint.js";
import type { Checkpoint } from "../../runtime/lineage/checkpoint.js";
import { parseNote, signNote, verifyNote } from "../../runtime/lineage/signed-note.js";
import { MerkleTree } from "../support/merkle-tree.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

// The published example of Go's sumdb/note (golang.org/x/mod/sumdb/note), an independent implementation.
const GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_SKEY_B64 = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"; // 0x01 ‖ seed
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

describe("signed notes: interoperability with Go's sumdb/note", () => {
  const seed = new Uint8Array(Buffer.from(GO_SKEY_B64, "base64")).slice(1);

  it("verifier key parses and its key id matches our formula", () => {
    const vk = parseVerifierKey(GO_VKEY);
    expect(vk.ok).toBe(true);
    if (!vk.ok) return;
    expect(vk.value.name).toBe("PeterNeumann");
    expect(Buffer.from(keyIdOf("PeterNeumann", vk.value.publicKey)).toString("hex")).toBe("c74f20a3");
    expect(verifierKey("PeterNeumann", vk.value.publicKey)).toBe(GO_VKEY);
    expect(Buffer.from(nodeEd25519.publicKeyOf(seed)).equals(Buffer.from(vk.value.publicKey))).toBe(true);
  });

  it("signing reproduces the published note byte for byte, and it verifies", () => {
    expect(signNote(GO_TEXT, "PeterNeumann", seed, nodeEd25519)).toBe(GO_NOTE);
    expect(signNote(GO_TEXT, "PeterNeumann", seed, browserEd25519)).toBe(GO_NOTE);
    const vk = parseVerifierKey(GO_VKEY);
    if (!vk.ok) throw new Error(vk.problem.message);
    const opened = verifyNote(GO_NOTE, "PeterNeumann", vk.value.publicKey);
    expect(opened.ok && opened.value.text).toBe(GO_TEXT);
  });

  it("rejects mangled verifier keys", () => {
    expect(parseVerifierKey(GO_VKEY.replace("c74f20a3", "c74f20a4")).ok).toBe(false);
    expect(parseVerifierKey(GO_VKEY.replace("PeterNeumann", "PeterNeuman")).ok).toBe(false);
    expect(parseVerifierKey(GO_VKEY.replace("+ARpc", "+AhpR")).ok).toBe(false);
    expect(parseVerifierKey("a+b").ok).toBe(false);
  });
});

const ORIGIN = "example.com/writ/lineage";
const keys = nodeEd25519.generateKeyPair();
const tree = MerkleTree.fromLeafHashes(Array.from({ length: 5 }, (_, i) => new Uint8Array(32).fill(i + 1)));
const sample: Checkpoint = { origin: ORIGIN, size: tree.size, rootHash: tree.root() };

describe("checkpoints", () => {
  it("has the tlog-checkpoint body and signature line layout", () => {
    const note = signCheckpoint(sample, ORIGIN, keys.privateKey, nodeEd25519);
    const root64 = Buffer.from(sample.rootHash).toString("base64");
    expect(checkpointBody(sample)).toBe(`${ORIGIN}\n5\n${root64}\n`);
    const lines = note.split("\n");
    expect(lines.slice(0, 4)).toEqual([ORIGIN, "5", root64, ""]);
    expect(lines[4]).toMatch(new RegExp(`^\u2014 ${ORIGIN.replace(/\./g, "\\.")} [A-Za-z0-9+/]{91}=$`));
    expect(lines[5]).toBe("");
    const blob = Buffer.from(lines[4]!.split(" ")[2]!, "base64");
    expect(blob.length).toBe(68);
    expect(blob.subarray(0, 4).equals(Buffer.from(keyIdOf(ORIGIN, keys.publicKey)))).toBe(true);
  });

  it("round-trips with both Ed25519 implementations", () => {
    for (const [signer, verifier] of [
      [nodeEd25519, browserEd25519],
      [browserEd25519, nodeEd25519],
    ] as const) {
      const note = signCheckpoint(sample, ORIGIN, keys.privateKey, signer);
      const v = verifyCheckpoint(note, ORIGIN, keys.publicKey, verifier);
      expect(v.ok).toBe(true);
      if (!v.ok) return;
      expect(v.value.origin).toBe(ORIGIN);
      expect(v.value.size).toBe(5);
      expect(Buffer.from(v.value.rootHash).equals(Buffer.from(sample.rootHash))).toBe(true);
    }
  });

  it("rejects another key, an unknown key id, a wrong name and a bad signature", () => {
    const note = signCheckpoint(sample, ORIGIN, keys.privateKey, nodeEd25519);
    const other = nodeEd25519.generateKeyPair();
    const wrongKey = verifyCheckpoint(note, ORIGIN, other.publicKey, nodeEd25519);
    expect(wrongKey.ok).toBe(false);
    if (!wrongKey.ok) expect(wrongKey.problem.message).toMatch(/unknown key id/);
    const wrongName = verifyCheckpoint(note, "example.com/other", keys.publicKey, nodeEd25519);
    expect(wrongName.ok).toBe(false);
    if (!wrongName.ok) expect(wrongName.problem.message).toMatch(/not signed by/);
    // Same key id, signature over a different body.
    const forged = signCheckpoint({ ...sample, size: 4, rootHash: tree.rootAt(4) }, ORIGIN, keys.privateKey, nodeEd25519);
    const spliced = note.slice(0, note.indexOf("\n\n") + 2) + forged.slice(forged.indexOf("\n\n") + 2);
    const bad = verifyCheckpoint(spliced, ORIGIN, keys.publicKey, nodeEd25519);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problem.message).toMatch(/invalid signature/);
  });

  it("ignores other signers' lines but still needs its own", () => {
    const note = signCheckpoint(sample, ORIGIN, keys.privateKey, nodeEd25519);
    const witness = nodeEd25519.generateKeyPair();
    const cosigned = signNote(checkpointBody(sample), "witness.example", witness.privateKey, nodeEd25519);
    const both = note + cosigned.slice(cosigned.indexOf("\n\n") + 2);
    expect(parseCheckpoint(both).ok && parseCheckpoint(both).ok).toBe(true);
    expect(verifyCheckpoint(both, ORIGIN, keys.publicKey, nodeEd25519).ok).toBe(true);
    expect(verifyCheckpoint(both, "witness.example", witness.publicKey, nodeEd25519).ok).toBe(true);
  });

  it("rejects malformed bodies even when validly signed", () => {
    const malformed = [
      "origin\n05\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", // leading zero
      "origin\n-1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
      "origin\n99999999999999999999\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", // beyond 2^53
      "origin\n5\nAAAA\n", // root not 32 bytes
      "origin\n5\n", // missing root
      "origin\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n", // non-canonical base64
    ];
    for (const body of malformed) {
      const note = signNote(body, ORIGIN, keys.privateKey, nodeEd25519);
      expect(parseCheckpoint(note).ok).toBe(false);
      expect(verifyCheckpoint(note, ORIGIN, keys.publicKey, nodeEd25519).ok).toBe(false);
    }
    expect(() => signCheckpoint({ ...sample, origin: "a\nb" }, ORIGIN, keys.privateKey)).toThrow(/origin/);
    expect(() => signCheckpoint({ ...sample, rootHash: new Uint8Array(31) }, ORIGIN, keys.privateKey)).toThrow(/root/);
    expect(() => signCheckpoint(sample, "has space", keys.privateKey)).toThrow(/key name/);
  });

  it("keeps extension lines inside the signed body", () => {
    const cp: Checkpoint = { ...sample, extensions: ["batch 17", "\u2014 not a signature"] };
    const note = signCheckpoint(cp, ORIGIN, keys.privateKey, nodeEd25519);
    const v = verifyCheckpoint(note, ORIGIN, keys.publicKey, nodeEd25519);
    expect(v.ok && v.value.extensions).toEqual(["batch 17", "\u2014 not a signature"]);
  });

  it("every single-byte change of the note fails verification", () => {
    const cp: Checkpoint = { ...sample, extensions: ["ext \u00e9"] };
    const bytes = enc.encode(signCheckpoint(cp, ORIGIN, keys.privateKey, nodeEd25519));
    expect(verifyCheckpoint(bytes, ORIGIN, keys.publicKey, nodeEd25519).ok).toBe(true);
    let checked = 0;
    for (let i = 0; i < bytes.length; i++) {
      for (const delta of [1, 0x20, 0x80]) {
        const changed = bytes.slice();
        changed[i] = changed[i]! ^ delta;
        expect(verifyCheckpoint(changed, ORIGIN, keys.publicKey, browserEd25519).ok, `byte ${i} ^ ${delta}`).toBe(false);
        checked++;
      }
    }
    expect(checked).toBe(bytes.length * 3);
  });

  it("property: any checkpoint round-trips; any byte replacement, insertion or deletion fails", () => {
    const origin = fc.stringMatching(/^[a-z0-9.\/-]{1,30}$/);
    fc.assert(
      fc.property(
        origin,
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(fc.stringMatching(/^[ -~]{1,20}$/), { maxLength: 2 }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom("replace", "insert", "delete"),
        (name, size, rootHash, extensions, at, byte, op) => {
          const cp: Checkpoint = extensions.length > 0 ? { origin: name, size, rootHash, extensions } : { origin: name, size, rootHash };
          const note = signCheckpoint(cp, name, keys.privateKey);
          const ok = verifyCheckpoint(note, name, keys.publicKey);
          expect(ok.ok).toBe(true);
          if (!ok.ok) return;
          expect(ok.value.size).toBe(size);
          expect(ok.value.extensions ?? []).toEqual(extensions);
          const parsed = parseCheckpoint(note);
          expect(parsed.ok && parsed.value.body).toBe(checkpointBody(cp));

          const bytes = enc.encode(note);
          const i = at % bytes.length;
          let changed: Uint8Array;
          if (op === "replace") {
            fc.pre(bytes[i] !== byte);
            changed = bytes.slice();
            changed[i] = byte;
          } else if (op === "insert") {
            changed = new Uint8Array([...bytes.slice(0, i), byte, ...bytes.slice(i)]);
          } else {
            changed = new Uint8Array([...bytes.slice(0, i), ...bytes.slice(i + 1)]);
          }
          expect(verifyCheckpoint(changed, name, keys.publicKey).ok).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("parseNote rejects structural problems", () => {
    const note = signCheckpoint(sample, ORIGIN, keys.privateKey, nodeEd25519);
    expect(parseNote(note.slice(0, -1)).ok).toBe(false); // no final newline
    expect(parseNote(note.replace("\u2014", "--")).ok).toBe(false);
    expect(parseNote(note.replace("\n\n", "\n")).ok).toBe(false);
    expect(parseNote(note.replace(ORIGIN + "\n", ORIGIN + "\r\n")).ok).toBe(false);
    expect(parseNote(new Uint8Array([0xff, 0x0a, 0x0a])).ok).toBe(false);
    expect(dec.decode(enc.encode(note))).toBe(note);
  });
});

describe("verifier keys whose base64 contains '+'", () => {
  it("parse for every key, whatever its encoding", async () => {
    const { verifierKey, parseVerifierKey } = await import("../../runtime/lineage/signed-note.js");
    const { nodeEd25519 } = await import("../../runtime/crypto/ed25519-node.js");
    let withPlus = 0;
    for (let i = 0; i < 64; i++) {
      const { publicKey } = nodeEd25519.generateKeyPair();
      const text = verifierKey("writ.example/log", publicKey);
      if (text.split("+").length > 3) withPlus++;
      const parsed = parseVerifierKey(text);
      expect(parsed.ok).toBe(true);
    }
    expect(withPlus).toBeGreaterThan(0);
  });
});
