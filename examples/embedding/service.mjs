#!/usr/bin/env node
// An authorization service embedding Writ's runtime (see docs/embedding.md).
//
// At start it loads a signed bundle — refused unless every content id re-hashes and the
// signature verifies with the configured public key — and reads its entities once into an
// entity store (validated against the bundle's schema). Per request only the request is
// read: the decision is made on the store and returned as a decision record. Entity changes
// make a new store snapshot, swapped in atomically (decisions in flight keep the old one).
// If the bundle or the entities were refused, it fails closed: every request is denied and
// /healthz answers 503.
//
//   node examples/embedding/service.mjs --bundle bundle.json --key writ.pub --entities entities.json [--port 8080]
//   curl -s localhost:8080/authorize -d '{"request": {...}}'
//   curl -s -X PATCH localhost:8080/entities -d '{"upsert": [...], "remove": [...]}'
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { BundleGuard, decide, loadEntities, publicKeyFromPem } from "writ/runtime";

/** A deny-everything authorizer, for a bundle or entities that could not be loaded. */
function refused(reason) {
  return {
    ready: false,
    reason,
    bundleId: undefined,
    entitiesId: undefined,
    authorize: () => ({ decision: "deny", reasons: [], errors: [{ policy: "", policyId: "", code: "BUNDLE_REFUSED", message: reason }] }),
    updateEntities: () => ({ ok: false, errors: [reason] }),
  };
}

/**
 * Load a bundle (its JSON text) with the signer's public key (PEM) and the entities (JSON)
 * into a store. Returns an authorizer whose `authorize(request)` gives a decision record and
 * whose `updateEntities({ upsert, remove })` swaps in a new store snapshot; when the bundle or
 * the entities are refused, the authorizer denies everything (`ready: false`, `reason` says why).
 */
export function createAuthorizer({ bundleText, publicKeyPem, entities, guard = new BundleGuard() }) {
  const key = publicKeyFromPem(publicKeyPem);
  if (!key.ok) return refused(`public key: ${key.problem.message}`);
  let json;
  try {
    json = JSON.parse(bundleText);
  } catch (e) {
    return refused(`bundle: malformed JSON (${e.message})`);
  }
  const loaded = guard.load(json, { publicKey: key.value });
  if (loaded.bundle === undefined) return refused(loaded.diagnostics.map((d) => `${d.code} ${d.message}`).join("; "));
  const bundle = loaded.bundle;
  const first = loadEntities(bundle, entities);
  if (first.store === undefined) return refused(`entities: ${first.diagnostics.map((d) => `${d.code} ${d.message}`).join("; ")}`);
  let store = first.store;
  return {
    ready: true,
    reason: undefined,
    bundleId: bundle.bundleId,
    get entitiesId() {
      return store.id;
    },
    authorize: (request) => decide(bundle, request, store),
    updateEntities(changes) {
      const next = store.update(changes);
      if (next.store === undefined) return { ok: false, errors: next.diagnostics.map((d) => `${d.code} ${d.message}`) };
      store = next.store;
      return { ok: true, entitiesId: store.id };
    },
  };
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

/** An HTTP server: POST /authorize {request} → decision record; PATCH /entities {upsert, remove}; GET /healthz. */
export function createService(authorizer) {
  return createServer(async (req, res) => {
    const send = (status, body) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && req.url === "/healthz") {
      return send(authorizer.ready ? 200 : 503, { ready: authorizer.ready, bundleId: authorizer.bundleId ?? null, entitiesId: authorizer.entitiesId ?? null, reason: authorizer.reason ?? null });
    }
    try {
      if (req.method === "POST" && req.url === "/authorize") {
        const { request } = JSON.parse(await readBody(req));
        return send(200, authorizer.authorize(request));
      }
      if (req.method === "PATCH" && req.url === "/entities") {
        const r = authorizer.updateEntities(JSON.parse(await readBody(req)));
        return send(r.ok ? 200 : 400, r);
      }
      return send(404, { error: "not found" });
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
  const entitiesPath = arg("entities");
  if (bundlePath === undefined || keyPath === undefined || entitiesPath === undefined) {
    process.stderr.write("usage: service.mjs --bundle <bundle.json> --key <signer.pub> --entities <entities.json> [--port 8080]\n");
    process.exit(2);
  }
  let authorizer;
  try {
    authorizer = createAuthorizer({
      bundleText: readFileSync(bundlePath, "utf8"),
      publicKeyPem: readFileSync(keyPath, "utf8"),
      entities: JSON.parse(readFileSync(entitiesPath, "utf8")),
    });
  } catch (e) {
    authorizer = refused(e instanceof Error ? e.message : String(e));
  }
  if (!authorizer.ready) process.stderr.write(`refused, denying every request: ${authorizer.reason}\n`);
  const server = createService(authorizer);
  server.listen(Number(arg("port", "8080")), "127.0.0.1", () => {
    process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
  });
}
