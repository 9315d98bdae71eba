// trust — who may say what: the cluster's identity material, authenticated and sealed log records,
// endorsements and receipts, per-node client credentials (docs/design/2026_12_02_*_trust-boundaries.md).
// Invariants: I-L5 every applied record is signed by a member or the operator; I-L7 record bodies are
// sealed under the cluster's log key; I-G3 a credential forwarded to one node is useless at another.
export {
  createClusterIdentity,
  ensureDevTrust,
  loadClusterManifest,
  loadLogKey,
  loadNodeIdentity,
  loadOperatorKey,
  loadTrustMaterial,
  publicKeyOf,
  sha256Hex,
  IDENTITY_FILE,
  LOG_KEY_FILE,
  MANIFEST_FILE,
  OPERATOR,
  OPERATOR_KEY_FILE,
  type ClusterIdentityLayout,
  type ClusterManifest,
  type MemberKeys,
  type NodeIdentity,
  type TrustMaterial,
} from './cluster-identity.ts';
export {
  RecordOpener,
  sealRecord,
  type OpenedRecord,
  type RecordRejection,
  type RecordSigner,
} from './record-envelope.ts';
export {
  canonicalJson,
  digestOf,
  signDigest,
  SignatureVerifier,
  type SignatureDomain,
} from './signatures.ts';
export {
  credentialVerifier,
  nodeCredential,
  tokenVerifiers,
  type ForwardedCredential,
} from './node-credentials.ts';
