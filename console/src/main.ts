/**
 * The governance console's page: the token form (the token stays in this tab's sessionStorage),
 * the log key the console holds proofs to (pinned, or the key the log states until a person
 * pins one), and the pages by URL fragment — `#/explorer`, `#/execution/<id>`, `#/health`,
 * `#/bundles`, `#/proof`.
 */
import "../../playground/src/shared/views.css";
import "./style.css";
import { el } from "../../playground/src/shared/index.js";
import { getJson, setToken, token } from "./api.js";
import { checkLog, pinnedKey, setPinnedKey, type StatedCheckpoint } from "./evidence.js";
import { renderBundles } from "./bundles-page.js";
import { renderExecution } from "./execution-page.js";
import { renderExplorer } from "./explorer-page.js";
import { renderHealth } from "./health-page.js";
import { renderProofViewer } from "./proof-page.js";

function byId<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`INVARIANT: missing #${id}`);
  return e as T;
}

const page = byId<HTMLElement>("page");
const statusLine = byId<HTMLElement>("status");
const trust = byId<HTMLElement>("trust");
let stop: (() => void) | undefined;
/** True when the server's data routes need a token (from `/readyz`). */
let needsToken = false;

function status(text: string): void {
  statusLine.textContent = text;
}

/** The trust line: which key proofs are held to, and whether the log extends the checkpoint seen before. */
async function showTrust(): Promise<void> {
  trust.replaceChildren();
  if (needsToken && token() === undefined) {
    trust.className = "trust warn";
    trust.append(el("span", undefined, "This server needs a token: enter one with the read-lineage scope above (it stays in this tab only)."));
    return;
  }
  const cp = await getJson<StatedCheckpoint>("v1/lineage/checkpoint");
  if (!cp.ok) {
    trust.className = cp.status === 401 || cp.status === 403 ? "trust bad" : "trust";
    trust.append(el("span", undefined, cp.status === 401 || cp.status === 403 ? `Enter a token with the read-lineage scope to read the log (${cp.code}: ${cp.message}).` : `The log cannot be read: ${cp.code} ${cp.message}`));
    return;
  }
  const t = await checkLog(cp.value);
  const log = `Log ${cp.value.origin} (${cp.value.size.toLocaleString("en")} events)`;
  const c = t.consistency;
  const grown = t.seenSize !== undefined && c?.size !== undefined && c.size > t.seenSize;
  const held =
    c === undefined || !c.ok
      ? ""
      : t.seenSize === undefined
        ? " This console now holds it to this checkpoint."
        : grown
          ? ` It extends the checkpoint this console saw before (${t.seenSize.toLocaleString("en")} → ${(c.size ?? 0).toLocaleString("en")} events).`
          : " It is the checkpoint this console saw before.";
  const button = (text: string, onClick: () => void): void => {
    const b = el("button", undefined, text);
    b.type = "button";
    b.addEventListener("click", () => {
      onClick();
      void showTrust();
      route();
    });
    trust.append(b);
  };
  if (c !== undefined && !c.ok) {
    const failed = c.steps.find((x) => x.status === "fail");
    trust.className = "trust bad";
    trust.append(el("span", undefined, `${log}: NOT CONSISTENT with what this console saw before — ${failed?.step}: ${failed?.detail}. The log was truncated, forked, or is signed by another key: do not trust what it shows.`));
    return;
  }
  if (t.pinnedKeyId === undefined) {
    trust.className = "trust warn";
    trust.append(el("span", undefined, `${log}. Proofs are checked against the key the log states, ${t.statedKeyId}: compare it with the node's lineage.pub and pin it.${held}`));
    button("Pin this key", () => setPinnedKey(cp.value.verifierKey));
    return;
  }
  const same = t.pinnedKeyId === t.statedKeyId;
  trust.className = same ? "trust ok" : "trust bad";
  trust.append(el("span", undefined, same ? `${log}: proofs are held to the pinned key ${t.pinnedKeyId}.${held}` : `The log states key ${t.statedKeyId}, but ${t.pinnedKeyId} is pinned: every proof will fail.`));
  button("Forget the pin", () => setPinnedKey(""));
}

function setNav(name: string): void {
  for (const a of document.querySelectorAll<HTMLAnchorElement>("nav.pages a")) {
    if (a.dataset.page === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

function route(): void {
  stop?.();
  stop = undefined;
  const hash = location.hash.replace(/^#\/?/, "");
  const [path = "", q = ""] = hash.split("?", 2);
  const params = new URLSearchParams(q);
  const [name = "explorer", ...rest] = path.split("/");
  status("");
  if (needsToken && token() === undefined && name !== "proof") {
    setNav(name === "execution" ? "explorer" : name);
    page.replaceChildren(el("h2", undefined, "A token is needed"), el("p", undefined, "This server keeps its lineage behind bearer tokens. Enter a token with the read-lineage scope in the field above; it is kept in this tab's session storage only and sent with every request. The proof viewer works without one."));
    byId<HTMLInputElement>("token").focus();
    return;
  }
  switch (name) {
    case "execution":
      setNav("explorer");
      void renderExecution(page, decodeURIComponent(rest.join("/")), status);
      break;
    case "health":
      setNav("health");
      stop = renderHealth(page, status);
      break;
    case "bundles":
      setNav("bundles");
      void renderBundles(page, params, status);
      break;
    case "proof":
      setNav("proof");
      renderProofViewer(page, { pinned: pinnedKey(), onPin: (t) => t.trim() !== pinnedKey() && (setPinnedKey(t), void showTrust()) });
      break;
    default:
      setNav("explorer");
      renderExplorer(page, params, status);
  }
  page.focus({ preventScroll: true });
}

/** What the token field says: set, missing, or not needed by this server. */
function tokenState(): string {
  return token() !== undefined ? "token set for this tab" : needsToken ? "no token" : "no token needed";
}

const tokenForm = byId<HTMLFormElement>("token-form");
const tokenInput = byId<HTMLInputElement>("token");
tokenInput.value = token() ?? "";
tokenForm.addEventListener("submit", (e) => {
  e.preventDefault();
  setToken(tokenInput.value);
  byId("token-state").textContent = tokenState();
  void showTrust();
  route();
});
window.addEventListener("hashchange", route);
void (async () => {
  const ready = await getJson<{ auth?: string }>("readyz", [503]);
  needsToken = ready.ok && ready.value.auth === "bearer";
  byId("token-state").textContent = tokenState();
  void showTrust();
  route();
  document.body.dataset.ready = "true";
})();
