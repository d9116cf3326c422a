/**
 * The playground page: wires the editors, the Writ worker, the toolbar (examples,
 * semantics, Run, Format, Share) and the results pane.
 */
import "./shared/views.css";
import "./style.css";
import { DEFAULT_STATE } from "./default-example.js";
import { createEditors, highlightPolicies, registerProviders, setMarkers, type Editors } from "./editors.js";
import { loadExamples, type Expected } from "./examples.js";
import { monaco } from "./monaco-setup.js";
import { EDITOR_IDS, type EditorId, type PlaygroundState, type PolicyInfo, type SchemaSummary, type Semantics } from "./protocol.js";
import { setupLineage } from "./lineage-dialog.js";
import { renderExpected, renderProblems } from "./results-view.js";
import { renderDecision } from "./shared/decision-view.js";
import { decodeState, encodeState } from "./share.js";
import { startWritWorker } from "./worker-client.js";
import { registerLanguages } from "./writ-language.js";

function byId<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`INVARIANT: missing #${id}`);
  return e as T;
}

async function boot(): Promise<void> {
  const client = startWritWorker();
  const tokens = await client.request({ kind: "tokens" });
  registerLanguages(monaco, tokens);

  const semanticsSelect = byId<HTMLSelectElement>("semantics");
  const examplesSelect = byId<HTMLSelectElement>("examples");
  const status = byId<HTMLElement>("status");
  const problemsHost = byId<HTMLElement>("problems");
  const decisionHost = byId<HTMLElement>("decision-pane");
  const shareOut = byId<HTMLInputElement>("share-url");

  const initial = (await decodeState(location.hash)) ?? DEFAULT_STATE;
  semanticsSelect.value = initial.semantics;
  const editors: Editors = createEditors(initial);
  const decorations = editors.policies.createDecorationsCollection();
  let schema: SchemaSummary = { entityTypes: [], attributes: {}, actions: [], contextAttributes: [], principalTypes: [], resourceTypes: [] };
  let policies: readonly PolicyInfo[] = [];

  const texts = (): Record<EditorId, string> => ({
    policies: editors.policies.getValue(),
    schema: editors.schema.getValue(),
    entities: editors.entities.getValue(),
    request: editors.request.getValue(),
  });
  const getState = (): PlaygroundState => ({ ...texts(), semantics: semanticsSelect.value as Semantics });
  const reveal = (id: EditorId, offset: number): void => {
    const ed = editors[id];
    const model = ed.getModel();
    if (model === null) return;
    const pos = model.getPositionAt(offset);
    ed.revealPositionInCenter(pos);
    ed.setPosition(pos);
    ed.focus();
  };
  const revealPolicy = (name: string): void => {
    const p = policies.find((x) => x.name === name);
    if (p !== undefined) reveal("policies", p.start);
  };

  registerProviders(editors, client, tokens, () => schema, getState);

  /** Show a failure of the worker (a broken invariant) instead of leaving a rejected promise. */
  const guard = (p: Promise<void>): void => {
    p.catch((e: unknown) => {
      status.textContent = `internal error: ${e instanceof Error ? e.message : String(e)}`;
    });
  };

  let version = 0;
  let analyzed = 0;
  const analyzeNow = async (): Promise<void> => {
    const mine = ++version;
    const state = getState();
    const r = await client.request({ kind: "analyze", state });
    if (mine !== version) return; // a newer edit is being analysed
    schema = r.schema;
    policies = r.policies;
    setMarkers(editors, r.markers);
    renderProblems(problemsHost, r.markers, texts(), reveal);
    status.textContent = "";
    document.body.dataset.analyzed = String(++analyzed);
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const scheduleAnalyze = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => guard(analyzeNow()), 250);
  };
  for (const id of EDITOR_IDS) {
    editors[id].onDidChangeModelContent(() => {
      decorations.clear();
      document.body.dataset.analyzed = "pending";
      scheduleAnalyze();
    });
  }

  const run = async (): Promise<void> => {
    if (timer !== undefined) clearTimeout(timer);
    await analyzeNow();
    const r = await client.request({ kind: "run", state: getState() });
    setMarkers(editors, r.markers);
    renderProblems(problemsHost, r.markers, texts(), reveal);
    renderDecision(decisionHost, r, revealPolicy);
    highlightPolicies(editors.policies, decorations, r.determining, r.erroring);
  };
  /** Format the policies and the schema (each edit undoable); report what could not be formatted. */
  const format = async (): Promise<void> => {
    const problems: string[] = [];
    for (const target of ["policies", "schema"] as const) {
      const editor = editors[target];
      const model = editor.getModel();
      if (model === null || model.getValue().trim() === "") continue;
      const r = await client.request({ kind: "format", target, text: model.getValue() });
      if (r.text === undefined) {
        problems.push(r.problem ?? `cannot format the ${target}`);
        continue;
      }
      if (r.text === model.getValue()) continue;
      editor.pushUndoStop();
      editor.executeEdits("writ-fmt", [{ range: model.getFullModelRange(), text: r.text }]);
      editor.pushUndoStop();
    }
    status.textContent = problems.join("; ");
  };
  const share = async (): Promise<void> => {
    const fragment = await encodeState(getState());
    history.replaceState(null, "", fragment);
    shareOut.value = location.href;
    shareOut.hidden = false;
    shareOut.select();
    try {
      await navigator.clipboard.writeText(location.href);
      status.textContent = "share URL copied to the clipboard (the state lives in the URL fragment; nothing is uploaded)";
    } catch {
      status.textContent = "share URL ready (the state lives in the URL fragment; nothing is uploaded)";
    }
  };
  const load = (s: PlaygroundState, expected?: Expected): void => {
    for (const id of EDITOR_IDS) editors[id].setValue(s[id]);
    semanticsSelect.value = s.semantics;
    decisionHost.replaceChildren();
    if (expected !== undefined) renderExpected(decisionHost, expected);
  };

  const examples = loadExamples();
  examples.forEach((ex, i) => examplesSelect.append(new Option(ex.label, String(i))));
  examplesSelect.addEventListener("change", () => {
    const ex = examples[Number(examplesSelect.value)];
    if (ex !== undefined) load(ex.state, ex.expected);
  });
  semanticsSelect.addEventListener("change", () => decisionHost.replaceChildren());
  byId("run").addEventListener("click", () => guard(run()));
  byId("format").addEventListener("click", () => guard(format()));
  byId("share").addEventListener("click", () => guard(share()));
  const lineage = setupLineage(
    {
      dialog: byId<HTMLDialogElement>("lineage"),
      files: byId<HTMLInputElement>("lineage-files"),
      paste: byId<HTMLTextAreaElement>("lineage-paste"),
      loadPaste: byId<HTMLButtonElement>("lineage-load-paste"),
      loadSample: byId<HTMLButtonElement>("lineage-sample"),
      close: byId<HTMLButtonElement>("lineage-close"),
      status: byId("lineage-status"),
      graph: byId("lineage-graph"),
      panel: byId("lineage-panel"),
    },
    (proof) => client.request({ kind: "verify-proof", proof }),
  );
  byId("open-lineage").addEventListener("click", () => lineage.open());
  window.addEventListener("hashchange", () => {
    void decodeState(location.hash).then((s) => {
      if (s !== undefined) load(s);
    });
  });
  for (const id of EDITOR_IDS) editors[id].addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, () => guard(run()));

  // A read-only handle for embedding pages and browser tests.
  (window as unknown as { writPlayground: { state(): PlaygroundState } }).writPlayground = { state: getState };
  await analyzeNow();
  document.body.dataset.ready = "true";
}

void boot().catch((e: unknown) => {
  const status = document.getElementById("status");
  if (status !== null) status.textContent = `failed to start: ${e instanceof Error ? e.message : String(e)}`;
  throw e;
});
