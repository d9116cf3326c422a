/**
 * `writ/stdlib`: the runtime value model, extension types, the builtins
 * table, checked arithmetic, `like` matching, the entity store and Cedar JSON.
 * Explicit named exports only.
 */
export {
  EntityUID,
  EvalError,
  I64_MAX,
  I64_MIN,
  RecordValue,
  SetValue,
  typeNameOf,
  uidKey,
  valueEquals,
  valueKey,
  type ExtensionValue,
  type Value,
} from "./value.js";
export {
  asBool,
  asLong,
  asString,
  checkedAdd,
  checkedMul,
  checkedNeg,
  checkedSub,
  extensionError,
  inI64,
  parseDigits,
  typeError,
} from "./arith.js";
export { Decimal, asDecimal, parseDecimal } from "./decimal.js";
export { IpAddr, asIpAddr, parseIpAddr } from "./ipaddr.js";
export { Duration, MS_PER_DAY, asDuration, parseDuration } from "./duration.js";
export { Datetime, asDatetime, civilFromDays, daysFromCivil, isLeapYear, parseDatetime } from "./datetime.js";
export { compileLike, likeMatch, type LikeMatcher } from "./like.js";
export {
  BUILTINS,
  BUILTIN_DOCS,
  ORDER_OVERLOADS,
  builtinConstructor,
  builtinMethod,
  compareOrdered,
  isExtensionFunction,
  type Builtin,
  type BuiltinDoc,
  type BuiltinGroup,
  type EntityBuiltin,
  type PureBuiltin,
  type TypeSig,
} from "./builtins.js";
export { Entities, bareEntity, type EntitiesProblem, type EntityRecord } from "./entities.js";
export {
  MAX_JSON_DEPTH,
  entitiesFromJson,
  entityRecordsFromJson,
  entityUidFromJson,
  isValidTypeName,
  valueFromJson,
  valueToJson,
  type EntityHints,
  type JsonReadResult,
  type JsonValue,
  type ValueHint,
} from "./json.js";
export { MAX_JSON_TEXT_DEPTH, parseJsonText, stringifyJson, type JsonTextResult } from "./json-text.js";
