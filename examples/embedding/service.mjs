#!/usr/bin/env node
// An authorization service embedding Writ's runtime (see docs/embedding.md).
//
// At start it loads a signed bundle and refuses it unless every content id re-hashes and the
// signature verifies with the configured public key. Per request it decides and returns the
// decision record. If the bundle was refused, it fails closed: every request is denied and
// /healthz answers 503.
//
//   node examples/embedding/service.mjs --bundle bundle.json --key writ.pub [--port 8080]
//   curl -s localhost:8080/authorize -d '{"request": {...}, "entities": [...]}'
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { BundleGuard, decide, publicKeyFromPem } from "../../dist/runtime/index.js";

/** A deny-everything authorizer, for a bundle that could not be loaded. */
function refused(reason) {
  return {
    ready: false,
    reason,
    bundleId: undefined,
    authorize: () => ({ decision: "deny", reasons: [], errors: [{ policy: "", policyId: "", code: "BUNDLE_REFUSED", message: reason }] }),
  };
}

/**
 * Load a bundle (its JSON text) with the signer's public key (PEM). Returns an authorizer whose
 * `authorize(request, entities)` gives a decision record; when the bundle is refused, the
 * authorizer denies everything (`ready: false`, `reason` says why).
 */
export function createAuthorizer({ bundleText, publicKeyPem, guard = new BundleGuard() }) {
  const key = publicKeyFromPem(publicKeyPem);
  if (!key.ok) return refused(`public key: ${key.error}`);
  let json;
  try {
    json = JSON.parse(bundleText);
  } catch (e) {
    return refused(`bundle: malformed JSON (${e.message})`);
  }
  const loaded = guard.load(json, { publicKey: key.value });
  if (loaded.bundle === undefined) return refused(loaded.diagnostics.map((d) => `${d.code} ${d.message}`).join("; "));
  const bundle = loaded.bundle;
  return { ready: true, reason: undefined, bundleId: bundle.bundleId, authorize: (request, entities) => decide(bundle, request, entities) };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > 1 << 20) reject(new Error("request body too large"));
      else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** An HTTP server: POST /authorize {request, entities} → decision record; GET /healthz. */
export function createService(authorizer) {
  return createServer(async (req, res) => {
    const send = (status, body) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && req.url === "/healthz") {
      return send(authorizer.ready ? 200 : 503, { ready: authorizer.ready, bundleId: authorizer.bundleId ?? null, reason: authorizer.reason ?? null });
    }
    if (req.method !== "POST" || req.url !== "/authorize") return send(404, { error: "not found" });
    try {
      const { request, entities } = JSON.parse(await readBody(req));
      return send(200, authorizer.authorize(request, entities ?? []));
    } catch (e) {
      // Fail closed on unreadable input as well.
      return send(400, { decision: "deny", error: e instanceof Error ? e.message : String(e) });
    }
  });
}

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bundlePath = arg("bundle");
  const keyPath = arg("key");
  if (bundlePath === undefined || keyPath === undefined) {
    process.stderr.write("usage: service.mjs --bundle <bundle.json> --key <signer.pub> [--port 8080]\n");
    process.exit(2);
  }
  let authorizer;
  try {
    authorizer = createAuthorizer({ bundleText: readFileSync(bundlePath, "utf8"), publicKeyPem: readFileSync(keyPath, "utf8") });
  } catch (e) {
    authorizer = refused(e instanceof Error ? e.message : String(e));
  }
  if (!authorizer.ready) process.stderr.write(`bundle refused, denying every request: ${authorizer.reason}\n`);
  const server = createService(authorizer);
  server.listen(Number(arg("port", "8080")), "127.0.0.1", () => {
    process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
  });
}
