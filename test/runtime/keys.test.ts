import { createPrivateKey, createPublicKey } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { base64Decode, base64Encode } from "../../runtime/crypto/base64.js";
import { nodeEd25519 } from "../../runtime/crypto/ed25519-node.js";
import { privateKeyToPem, publicKeyFromPem, publicKeyToPem } from "../../runtime/crypto/pem.js";
import { readPrivateKey, readPublicKey, writeKeyPair } from "../../runtime/keys.js";

const dir = mkdtempSync(join(tmpdir(), "writ-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("key files", () => {
  it("writes <prefix>.key with mode 0600 and <prefix>.pub, and reads them back", () => {
    const prefix = join(dir, "signer");
    const written = writeKeyPair(prefix);
    expect(written.ok).toBe(true);
    if (!written.ok) return;
    expect(written.value.privateKeyPath).toBe(`${prefix}.key`);
    expect(statSync(`${prefix}.key`).mode & 0o777).toBe(0o600);
    expect(statSync(`${prefix}.pub`).mode & 0o777).toBe(0o644);
    const priv = readPrivateKey(`${prefix}.key`);
    const pub = readPublicKey(`${prefix}.pub`);
    expect(priv.ok && pub.ok).toBe(true);
    if (!priv.ok || !pub.ok) return;
    expect(Buffer.from(pub.value).equals(Buffer.from(written.value.publicKey))).toBe(true);
    expect(Buffer.from(nodeEd25519.publicKeyOf(priv.value)).equals(Buffer.from(pub.value))).toBe(true);
    const msg = new TextEncoder().encode("bundle id");
    expect(nodeEd25519.verify(pub.value, msg, nodeEd25519.sign(priv.value, msg))).toBe(true);
  });

  it("files are standard PEM that node:crypto (OpenSSL) imports", () => {
    const prefix = join(dir, "interop");
    expect(writeKeyPair(prefix).ok).toBe(true);
    const priv = createPrivateKey(readFileSync(`${prefix}.key`, "utf8"));
    const pub = createPublicKey(readFileSync(`${prefix}.pub`, "utf8"));
    expect(priv.asymmetricKeyType).toBe("ed25519");
    expect(pub.asymmetricKeyType).toBe("ed25519");
    expect(readFileSync(`${prefix}.key`, "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it("refuses to overwrite an existing key unless asked", () => {
    const prefix = join(dir, "once");
    expect(writeKeyPair(prefix).ok).toBe(true);
    const before = readFileSync(`${prefix}.key`, "utf8");
    const again = writeKeyPair(prefix);
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.problem.message).toMatch(/already exists/);
    expect(readFileSync(`${prefix}.key`, "utf8")).toBe(before);
    expect(writeKeyPair(prefix, { overwrite: true }).ok).toBe(true);
    expect(readFileSync(`${prefix}.key`, "utf8")).not.toBe(before);
    expect(statSync(`${prefix}.key`).mode & 0o777).toBe(0o600);
  });

  it("reports missing files, wrong block types and corrupt keys as errors", () => {
    const missing = readPublicKey(join(dir, "nope.pub"));
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.problem.message).toMatch(/cannot read .*nope\.pub.*ENOENT/);

    const prefix = join(dir, "mixed");
    expect(writeKeyPair(prefix).ok).toBe(true);
    const swapped = readPublicKey(`${prefix}.key`);
    expect(swapped.ok).toBe(false);
    if (!swapped.ok) expect(swapped.problem.message).toMatch(/expected a PEM "PUBLIC KEY" block, found "PRIVATE KEY"/);

    const junk = join(dir, "junk.pub");
    writeFileSync(junk, "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n");
    const bad = readPublicKey(junk);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problem.message).toMatch(/not valid base64/);

    const rsaLike = join(dir, "short.key");
    writeFileSync(rsaLike, privateKeyToPem(new Uint8Array(32)).replace("MC4CAQAw", "MC4CAQEw"));
    const wrongDer = readPrivateKey(rsaLike);
    expect(wrongDer.ok).toBe(false);
    if (!wrongDer.ok) expect(wrongDer.problem.message).toMatch(/not an Ed25519 private key/);
  });

  it("rejects a non-canonical public key encoding", () => {
    const p = Buffer.from("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "hex");
    const r = publicKeyFromPem(publicKeyToPem(new Uint8Array(p)));
    expect(r.ok).toBe(false);
  });
});

describe("strict base64", () => {
  it("round-trips and matches Buffer's encoding", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = base64Encode(bytes);
        expect(text).toBe(Buffer.from(bytes).toString("base64"));
        expect(base64Decode(text)).toEqual(bytes);
      }),
    );
  });

  it("accepts exactly one text per byte string", () => {
    expect(base64Decode("QQ==")).toEqual(Uint8Array.from([0x41]));
    expect(base64Decode("QR==")).toBeUndefined(); // non-zero unused bits
    expect(base64Decode("QUI=")).toEqual(Uint8Array.from([0x41, 0x42]));
    expect(base64Decode("QUJ=")).toBeUndefined();
    expect(base64Decode("QQ")).toBeUndefined(); // missing padding
    expect(base64Decode("Q===")).toBeUndefined();
    expect(base64Decode("QQ=A")).toBeUndefined();
    expect(base64Decode("QUJD\n")).toBeUndefined();
    expect(base64Decode("QU-D")).toBeUndefined(); // URL-safe alphabet
    expect(base64Decode("")).toEqual(new Uint8Array(0));
  });

  it("every single-character change of an encoding decodes to different bytes or fails", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat(), fc.integer({ min: 0, max: 127 }), (bytes, at, code) => {
        const text = base64Encode(bytes);
        const i = at % text.length;
        fc.pre(text.charCodeAt(i) !== code);
        const changed = text.slice(0, i) + String.fromCharCode(code) + text.slice(i + 1);
        const back = base64Decode(changed);
        if (back !== undefined) expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
