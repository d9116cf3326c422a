/**
 * `writ/compiler`: the compiler's public API (explicit named exports only).
 */
export { compile, compileIr, type CompileOptions, type CompileResult } from "./compile.js";
export { lowerPolicies, lowerExpr, qualifiedName, type LowerOptions, type LowerResult } from "./lower.js";
export {
  buildDecider,
  type CompiledPolicies,
  type Decision,
  type DecisionError,
  type DecideObserver,
  type DeterminingPolicy,
  type PolicyTrace,
  type Semantics,
  type ShadowResult,
} from "./decide.js";
export { EXECUTION_TYPE, lineageFromJson, LINEAGE_TYPE, mergeObligationValue, mergeRuleOf, policyMode, policyReason, type PolicyMode } from "./governance.js";
export { requestFromJson, type Request, type RequestResult } from "./request.js";
export {
  entitiesWithSchema,
  readEntities,
  readEntityRecords,
  readRequest,
  type EntityRecordsResult,
  type ReadEntitiesResult,
  type ReadRequestOptions,
  type ReadRequestResult,
} from "./inputs.js";
export {
  IR_VERSION,
  irEntityKey,
  stripSpans,
  type IrAnnotation,
  type IrBinaryOp,
  type IrCondition,
  type IrEntity,
  type IrErrorCode,
  type IrExpr,
  type IrExprKind,
  type IrPatternElem,
  type IrPolicy,
  type IrPolicySet,
  type IrRecordEntry,
  type IrScope,
  type IrLink,
  type IrSlotScope,
  type IrSlotValues,
  type IrTemplate,
  type IrTemplateScope,
  type SlotId,
} from "./ir.js";
export { linkId, linkTemplate, SLOT_IDS, templateId, templateSlots } from "./link.js";
export { addLink, isTemplate, linkProblems, policyName, policySlots, substituteSlots, validateLinks, type NewLink } from "./templates.js";
export { linksFromJson, policySetFromJson, type PolicyJsonOptions, type PolicyJsonResult } from "./policy-json.js";
export { exprToJson, linksToJson, policySetToJson, policyToJson, type PolicySetJsonResult } from "./policy-json-write.js";
export { schemaToJson, typeToJson, type SchemaToJsonResult } from "./schema-json-write.js";
export { loadSchema, type LoadSchemaResult } from "./schema.js";
export { actionAncestors, entityTypeAncestors, requestEnvs, type ActionInfo, type AppliesTo, type EntityTypeInfo, type Schema } from "./schema-model.js";
export { validatePolicies, type ValidateOptions, type ValidateResult } from "./validate.js";
/** The checker's types by expression node of one policy, over every request environment (for editors: hover). */
export { policyTypes } from "./validate.js";
export {
  contextHintFor,
  entityHintFor,
  schemaActionEntities,
  validateEntities,
  validateEntity,
  validateRequest,
  valueHintFor,
  valueTypeError,
  type RequestValues,
} from "./input-validate.js";
export { showType, type Type } from "./types.js";
/** Alias of `valueHintFor` (kept for callers written against the earlier name). */
export { valueHintFor as hintForType } from "./input-validate.js";
export { schemaFromJson, type SchemaJsonResult } from "./schema-json.js";
export { buildBundle, signBundle, type Bundle, type BundleLink, type BundlePolicy, type BundleTemplate, type BundleSignature, type BuildBundleInput, type BuildBundleResult, type BundleSigner } from "./bundle.js";
export { BUNDLE_FORMAT, LANGUAGE_VERSION, bundleId, isValidSequence, keyIdOf, policyId, schemaId, type BundleIdFields } from "./ids.js";
export { canonicalBytes, canonicalJson, contentId, type ContentId } from "./canonical.js";
export { exprAst, policyAst, printIrPolicies, printIrPolicy } from "./ir-printer.js";
export { DIFF_BUNDLE_FORMAT, diffBundles, diffText, readBundleSummary, type BundleDiff, type DiffVerdict, type BundleSummary, type BundleSummaryProblem, type PolicyRef } from "./bundle-diff.js";
