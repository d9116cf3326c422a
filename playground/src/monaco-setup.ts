/**
 * Lean Monaco: the bare editor API plus the few contributions the playground uses,
 * and the editor worker configured explicitly. No TypeScript, JSON, CSS or HTML
 * language services are bundled: Writ's own worker does the language work.
 */
import * as monaco from "monaco-editor/editor/editor.api.js";
import EditorWorker from "monaco-editor/editor/editor.worker.js?worker";
import "monaco-editor/features/codicon/register.js";
import "monaco-editor/features/hover/register.js";
import "monaco-editor/editor/contrib/suggest/browser/suggestController.js";
import "monaco-editor/features/bracketMatching/register.js";
import "monaco-editor/features/find/register.js";
import "monaco-editor/features/folding/register.js";
import "monaco-editor/features/comment/register.js";
import "monaco-editor/features/gotoError/register.js";
import "monaco-editor/features/wordHighlighter/register.js";
import "monaco-editor/features/linesOperations/register.js";
import "monaco-editor/features/clipboard/register.js";
import "monaco-editor/features/contextmenu/register.js";

self.MonacoEnvironment = {
  getWorker(): Worker {
    // Only the generic editor worker exists; every label gets it.
    return new EditorWorker();
  },
};

export { monaco };
