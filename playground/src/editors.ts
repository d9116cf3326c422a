/**
 * The four editors and what the page shows inside them: markers (diagnostics with
 * code and help), decorations of the determining policies, completion from the
 * schema, and hover answered by the worker.
 */
import { monaco } from "./monaco-setup.js";
import type { EditorId, Marker, MarkersByEditor, PlaygroundState, PolicyInfo, SchemaSummary, TokenDef } from "./protocol.js";
import type { WritClient } from "./worker-client.js";
import { JSON_LANGUAGE, WRIT_LANGUAGE } from "./writ-language.js";

/** Owner name of every marker the playground sets. */
export const MARKER_OWNER = "writ";

/** The editors by id. */
export type Editors = Record<EditorId, monaco.editor.IStandaloneCodeEditor>;

const LANGUAGE: Record<EditorId, string> = { policies: WRIT_LANGUAGE, schema: WRIT_LANGUAGE, entities: JSON_LANGUAGE, request: JSON_LANGUAGE };

/** Create one editor per container element `#editor-<id>`. */
export function createEditors(state: PlaygroundState): Editors {
  const make = (id: EditorId): monaco.editor.IStandaloneCodeEditor => {
    const host = document.getElementById(`editor-${id}`);
    if (host === null) throw new Error(`INVARIANT: missing #editor-${id}`);
    const model = monaco.editor.createModel(state[id], LANGUAGE[id], monaco.Uri.parse(`writ:///${id}`));
    return monaco.editor.create(host, {
      model,
      theme: "writ-light",
      automaticLayout: true,
      minimap: { enabled: false },
      fontSize: 13,
      scrollBeyondLastLine: false,
      tabSize: 2,
      renderLineHighlight: "none",
      fixedOverflowWidgets: true,
      glyphMargin: id === "policies",
      wordWrap: LANGUAGE[id] === JSON_LANGUAGE ? "on" : "off",
    });
  };
  return { policies: make("policies"), schema: make("schema"), entities: make("entities"), request: make("request") };
}

function severityOf(s: Marker["severity"]): monaco.MarkerSeverity {
  switch (s) {
    case "error":
      return monaco.MarkerSeverity.Error;
    case "warning":
      return monaco.MarkerSeverity.Warning;
    case "info":
      return monaco.MarkerSeverity.Info;
  }
}

/** Replace the markers of every editor. */
export function setMarkers(editors: Editors, markers: MarkersByEditor): void {
  for (const id of Object.keys(editors) as EditorId[]) {
    const model = editors[id].getModel();
    if (model === null) continue;
    monaco.editor.setModelMarkers(
      model,
      MARKER_OWNER,
      markers[id].map((m) => {
        const s = model.getPositionAt(m.start);
        const e = model.getPositionAt(m.end);
        return {
          severity: severityOf(m.severity),
          code: m.code,
          source: "writ",
          message: m.help === undefined ? m.message : `${m.message}\nhelp: ${m.help}`,
          startLineNumber: s.lineNumber,
          startColumn: s.column,
          endLineNumber: e.lineNumber,
          endColumn: e.column,
        };
      }),
    );
  }
}

/**
 * Highlight the determining policies (green for permit, red for forbid) and the
 * erroring ones (amber).
 */
export function highlightPolicies(
  editor: monaco.editor.IStandaloneCodeEditor,
  collection: monaco.editor.IEditorDecorationsCollection,
  determining: readonly PolicyInfo[],
  erroring: readonly PolicyInfo[] = [],
): void {
  const model = editor.getModel();
  if (model === null) return;
  const decoration = (p: PolicyInfo, cls: string, color: string, what: string): monaco.editor.IModelDeltaDecoration => {
    const s = model.getPositionAt(p.start);
    const e = model.getPositionAt(p.end);
    return {
      range: new monaco.Range(s.lineNumber, 1, e.lineNumber, model.getLineMaxColumn(e.lineNumber)),
      options: {
        isWholeLine: true,
        className: cls,
        linesDecorationsClassName: `${cls}-gutter`,
        hoverMessage: { value: `${what} \`${p.name}\` (${p.effect})` },
        overviewRuler: { color, position: monaco.editor.OverviewRulerLane.Full },
      },
    };
  };
  collection.set([
    ...determining.map((p) =>
      p.effect === "permit" ? decoration(p, "determining-permit", "#16a34a", "determining policy") : decoration(p, "determining-forbid", "#dc2626", "determining policy"),
    ),
    ...erroring.map((p) => decoration(p, "erroring-policy", "#d97706", "erroring policy")),
  ]);
}

/** Completion and hover for the policy editor. `getSchema` returns the latest analysed schema. */
export function registerProviders(
  editors: Editors,
  client: WritClient,
  tokens: readonly TokenDef[],
  getSchema: () => SchemaSummary,
  getState: () => PlaygroundState,
): void {
  const policyModel = editors.policies.getModel();
  const keywords = [...new Set(tokens.filter((t) => t.cls === "keyword" || t.cls === "variable").map((t) => t.source))].filter((w) => /^[a-zA-Z]+$/.test(w));
  monaco.languages.registerCompletionItemProvider(WRIT_LANGUAGE, {
    triggerCharacters: [".", ":"],
    provideCompletionItems(model, position) {
      if (model !== policyModel) return { suggestions: [] };
      const schema = getSchema();
      const word = model.getWordUntilPosition(position);
      const range = new monaco.Range(position.lineNumber, word.startColumn, position.lineNumber, word.endColumn);
      const before = model.getLineContent(position.lineNumber).slice(0, word.startColumn - 1);
      const K = monaco.languages.CompletionItemKind;
      if (/\.\s*$/.test(before)) {
        const owner = /([_a-zA-Z][_a-zA-Z0-9]*)\s*\.\s*$/.exec(before)?.[1];
        // The scope variables narrow to the types the schema's actions allow; other targets get every attribute.
        const types = owner === "principal" ? schema.principalTypes : owner === "resource" ? schema.resourceTypes : Object.keys(schema.attributes);
        const attrs =
          owner === "context"
            ? schema.contextAttributes.map((a) => ({ ...a, on: "context" }))
            : types.flatMap((t) => (schema.attributes[t] ?? []).map((a) => ({ ...a, on: t })));
        const seen = new Set<string>();
        return {
          suggestions: attrs
            .filter((a) => (seen.has(a.name) ? false : (seen.add(a.name), true)))
            .map((a) => ({ label: a.name, kind: K.Field, detail: `${a.on}.${a.name}${a.required ? "" : "?"}: ${a.type}`, insertText: a.name, range })),
        };
      }
      const actions = schema.actions.map((a) => ({ label: a, kind: K.EnumMember, detail: "action", insertText: a, range }));
      const types = schema.entityTypes.map((t) => ({ label: t, kind: K.Class, detail: "entity type", insertText: t, range }));
      const kws = keywords.map((k) => ({ label: k, kind: K.Keyword, insertText: k, range }));
      return { suggestions: [...actions, ...types, ...kws] };
    },
  });
  monaco.languages.registerHoverProvider(WRIT_LANGUAGE, {
    async provideHover(model, position) {
      if (model !== policyModel) return null;
      const h = await client.request({ kind: "hover", state: getState(), offset: model.getOffsetAt(position) }).catch(() => null);
      if (h === null) return null;
      const s = model.getPositionAt(h.start);
      const e = model.getPositionAt(h.end);
      return { range: new monaco.Range(s.lineNumber, s.column, e.lineNumber, e.column), contents: h.contents.map((value) => ({ value })) };
    },
  });
}
