// node/tls — the cluster CA, node certificates and the TLS files a node loads (DESIGN §2, mutual TLS).
export {
  CA_VALIDITY_DAYS,
  createClusterCa,
  DEFAULT_SUBJECT_NAMES,
  issueNodeCertificate,
  loadClusterCa,
  NODE_VALIDITY_DAYS,
  type CertificateUsage,
  type ClusterCa,
  type PemPair,
} from './cluster-ca.ts';
export { requireMemberCertificate } from './peer-identity.ts';
export {
  loadNodeTls,
  writePrivateFile,
  writePublicFile,
  type NodeTlsFiles,
  type NodeTlsMaterial,
} from './tls-files.ts';
