/**
 * The playground's parts of the results pane: the problems list (every diagnostic of every
 * editor, with code, position and help) and what a loaded example expects. The decision
 * itself is the shared decision view (`shared/decision-view.ts`).
 * Built with DOM nodes and `textContent` only, so no input can inject markup.
 */
import { EDITOR_IDS, type EditorId, type MarkersByEditor } from "./protocol.js";
import { el } from "./shared/display.js";

function lineCol(text: string, offset: number): string {
  let line = 1;
  let start = 0;
  for (let i = 0; i < Math.min(offset, text.length); i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return `${line}:${offset - start + 1}`;
}

/** Render the problems list; clicking an entry calls `reveal(editor, offset)`. */
export function renderProblems(
  host: HTMLElement,
  markers: MarkersByEditor,
  texts: Record<EditorId, string>,
  reveal: (editor: EditorId, offset: number) => void,
): void {
  host.replaceChildren();
  const all = EDITOR_IDS.flatMap((id) => markers[id].map((m) => ({ id, m })));
  host.append(el("h3", undefined, all.length === 0 ? "No problems" : `Problems (${all.length})`));
  const list = el("ul", "problems");
  for (const { id, m } of all) {
    const li = el("li", `problem ${m.severity}`);
    li.dataset.code = m.code;
    li.dataset.editor = id;
    li.append(el("span", "where", `${id} ${lineCol(texts[id], m.start)}`), el("span", "code", m.code), el("span", "message", m.message));
    if (m.help !== undefined) li.append(el("div", "help", `help: ${m.help}`));
    li.addEventListener("click", () => reveal(id, m.start));
    list.append(li);
  }
  host.append(list);
}

/** Show what the loaded example's test file expects (until Run replaces it). */
export function renderExpected(host: HTMLElement, expected: { readonly decision: string; readonly reasons: readonly string[] }): void {
  const reasons = expected.reasons.length === 0 ? "no determining policies" : expected.reasons.join(", ");
  host.append(el("div", "expected", `The example expects ${expected.decision.toUpperCase()} (${reasons}). Press Run.`));
}
