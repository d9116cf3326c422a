/**
 * Editor languages: Writ (policies and schemas) and JSON (entities, request).
 *
 * The Writ highlighter is a Monarch tokenizer generated from the lexer's own token
 * table (`lang/tokens.ts`: `allTokens` patterns and `tokenClasses`), which the worker
 * serialises — one source of truth, no second grammar, and no lexer code in the page.
 */
import type * as Monaco from "monaco-editor/editor/editor.api.js";
import type { TokenDef } from "./protocol.js";

/** Language id of the policy and schema editors. */
export const WRIT_LANGUAGE = "writ";
/** Language id of the JSON editors. */
export const JSON_LANGUAGE = "writ-json";

/** Monaco token name for a lexer highlighting class. */
export function monacoTokenOf(cls: string): string {
  switch (cls) {
    case "punctuation":
      return "delimiter";
    case "whitespace":
      return "white";
    default:
      return cls;
  }
}

/** Monarch rules generated from the lexer's token table, in lexing order. */
export function monarchRules(tokens: readonly TokenDef[]): [RegExp, string][] {
  return tokens.map((t) => {
    // `@` would be read as a Monarch attribute reference; `\x40` is the same character.
    const source = t.source.replace(/@/g, "\\x40") + (t.wordBoundary ? "(?![_a-zA-Z0-9])" : "");
    return [new RegExp(source), monacoTokenOf(t.cls)];
  });
}

/** Register both languages and the Writ theme. `tokens` comes from the worker. */
export function registerLanguages(monaco: typeof Monaco, tokens: readonly TokenDef[]): void {
  monaco.languages.register({ id: WRIT_LANGUAGE, extensions: [".cedar", ".writ", ".cedarschema"] });
  monaco.languages.setLanguageConfiguration(WRIT_LANGUAGE, {
    comments: { lineComment: "//" },
    brackets: [["{", "}"], ["[", "]"], ["(", ")"]],
    autoClosingPairs: [{ open: "{", close: "}" }, { open: "[", close: "]" }, { open: "(", close: ")" }, { open: '"', close: '"', notIn: ["string"] }],
    wordPattern: /[_a-zA-Z][_a-zA-Z0-9]*/,
  });
  monaco.languages.setMonarchTokensProvider(WRIT_LANGUAGE, { defaultToken: "invalid", tokenizer: { root: monarchRules(tokens) } });

  monaco.languages.register({ id: JSON_LANGUAGE });
  monaco.languages.setLanguageConfiguration(JSON_LANGUAGE, {
    brackets: [["{", "}"], ["[", "]"]],
    autoClosingPairs: [{ open: "{", close: "}" }, { open: "[", close: "]" }, { open: '"', close: '"', notIn: ["string"] }],
  });
  monaco.languages.setMonarchTokensProvider(JSON_LANGUAGE, {
    tokenizer: {
      root: [
        [/"(?:[^"\\]|\\.)*"(?=\s*:)/, "type"],
        [/"(?:[^"\\]|\\.)*"?/, "string"],
        [/-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/, "number"],
        [/\b(?:true|false|null)\b/, "keyword"],
        [/[{}[\],:]/, "delimiter"],
        [/\s+/, "white"],
      ],
    },
  });

  monaco.editor.defineTheme("writ-light", {
    base: "vs",
    inherit: true,
    rules: [
      { token: "keyword", foreground: "7c3aed", fontStyle: "bold" },
      { token: "variable", foreground: "0f766e", fontStyle: "bold" },
      { token: "type", foreground: "1d4ed8" },
      { token: "operator", foreground: "b45309" },
      { token: "delimiter", foreground: "475569" },
      { token: "string", foreground: "047857" },
      { token: "number", foreground: "c2410c" },
      { token: "comment", foreground: "94a3b8", fontStyle: "italic" },
      { token: "annotation", foreground: "be185d" },
      { token: "identifier", foreground: "111827" },
      { token: "invalid", foreground: "dc2626" },
    ],
    colors: {},
  });
}
