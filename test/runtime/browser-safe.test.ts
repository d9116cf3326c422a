import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { build } from "esbuild";

// Evidence primitives that must run in the browser (playground, embedded runtime).
const BROWSER_SAFE = [
  "compiler/canonical.ts",
  "runtime/crypto/base64.ts",
  "runtime/crypto/ed25519.ts",
  "runtime/crypto/ed25519-browser.ts",
  "runtime/crypto/pem.ts",
  "runtime/lineage/merkle.ts",
  "runtime/lineage/signed-note.ts",
  "runtime/lineage/checkpoint.ts",
  "runtime/artifact.ts",
  "server/lineage-index.ts",
];

describe("browser-safe evidence modules", () => {
  for (const file of BROWSER_SAFE) {
    it(`${file} bundles for the browser without Node modules`, async () => {
      const result = await build({
        entryPoints: [resolve(process.cwd(), file)],
        bundle: true,
        platform: "browser",
        format: "esm",
        write: false,
        logLevel: "silent",
        metafile: true,
      });
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.some((p) => p.startsWith("node:"))).toBe(false);
      expect(result.outputFiles[0]!.text).not.toMatch(/from\s*["']node:|require\(["'](node:)?(fs|crypto|path)["']\)/);
    });
  }

  it("the Node-only modules are detected (the check can fail)", async () => {
    await expect(
      build({
        entryPoints: [resolve(process.cwd(), "runtime/crypto/ed25519-node.ts")],
        bundle: true,
        platform: "browser",
        write: false,
        logLevel: "silent",
      }),
    ).rejects.toThrow();
  });
});
