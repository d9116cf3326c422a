/**
 * The mesh room: several `writ serve` nodes sharing one verifiable lineage log on
 * PostgreSQL — the store, the operator-signed roster (enrollments, revocations, pins), the
 * checkpoint trust, witnessing and change notifications. See docs/mesh.md.
 *
 * NOTE: Node only. Reaches Writ through `writ/runtime` and the lineage store contract only.
 */
export { openPostgresStore, PostgresLineageStore, type OpenPostgresResult, type PostgresStoreOptions, type TxQuery } from "./pg-store.js";
export { DEFAULT_SCHEMA, PG_STORE_VERSION } from "./pg-schema.js";
export {
  activeNodes,
  MESH_RECORD_FORMAT,
  MESH_RECORD_TYPE,
  meshNameProblem,
  readRoster,
  type MeshRecord,
  type Roster,
  type RosterNode,
  type RosterPin,
} from "./records.js";
export { meshTrust, type MeshTrust, type MeshTrustOptions } from "./trust.js";
export { initMesh, Mesh, type MeshLocation, type MeshResult, type MeshStatus, type OpenMeshOptions, type PinnedDocument, type RecordResult } from "./mesh.js";
export { cosign, cosignatureKeyId, splitView, verifyCosignature, Witness, type SeenCheckpoint, type SplitView, type WitnessOptions, type WitnessResult } from "./witness.js";
export { subscribe, type MeshChanges, type SubscribeOptions, type Subscription } from "./subscribe.js";
export { openMeshNode, witnessName, type MeshNode, type MeshNodeOptions } from "./node.js";
export { meshView, witnessedCheckpoint, witnessedProof, writeHeartbeat, type MeshView, type MeshViewNode, type NodeHeartbeat, type WitnessedCheckpoint } from "./live.js";
export { MeshService, type MeshLogger, type MeshServiceOptions, type PinTarget } from "./serve-node.js";
export { findPostgresBin, freePort, startLocalPostgres, type LocalPostgres, type LocalPostgresOptions } from "./local-postgres.js";
