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
} from "./ir.js";
export { loadSchema, type LoadSchemaResult } from "./schema.js";
export { actionAncestors, entityTypeAncestors, requestEnvs, type ActionInfo, type AppliesTo, type EntityTypeInfo, type Schema } from "./schema-model.js";
export { validatePolicies, type ValidateOptions, type ValidateResult } from "./validate.js";
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
} from "./request-validate.js";
export { showType, type Type } from "./types.js";
/** Alias of `valueHintFor` (kept for callers written against the earlier name). */
export { valueHintFor as hintForType } from "./request-validate.js";
export { schemaFromJson, type SchemaJsonResult } from "./schema-json.js";
export { buildBundle, signBundle, type Bundle, type BundlePolicy, type BundleSignature, type BuildBundleInput, type BuildBundleResult, type BundleSigner } from "./bundle.js";
export { BUNDLE_FORMAT, LANGUAGE_VERSION, bundleId, isValidSequence, keyIdOf, policyId, schemaId, type BundleIdFields } from "./ids.js";
export { canonicalBytes, canonicalJson, contentId, type ContentId } from "./canonical.js";
