/**
 * The UI pieces the playground shares with other Writ web apps (the governance console):
 * the decision view, the lineage picture (model and view), and DOM/JSON display helpers.
 * Nothing here imports the playground's page, editors, worker or Monaco, nor any Writ
 * stage: views render plain data. Import the styles once with `shared/views.css`.
 * Explicit named exports only.
 */
export { clip, el, jsonBlock, jsonText, plainJson, row, shortId, svgEl } from "./display.js";
export { renderDecision, type DecisionError, type DecisionView, type DeterminingDetail, type ShadowInfo } from "./decision-view.js";
export {
  NODE_H,
  NODE_W,
  layoutTree,
  proofFor,
  readDocuments,
  recordOf,
  shortEntity,
  toneOf,
  type LineageDocuments,
  type LineageLayout,
  type LineageProofDoc,
  type LineageTreeEvent,
  type LineageTreeNode,
  type NodeTone,
  type PlacedEdge,
  type PlacedNode,
  type ProofCheckInfo,
} from "./lineage-model.js";
export { drawGraph, renderPanel } from "./lineage-view.js";
