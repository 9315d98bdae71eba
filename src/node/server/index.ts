// node/server — production nodes: `dsv cluster init` files, the node config file, one node per process.
export {
  CA_DIR,
  initCluster,
  KAFKA_SASL_MECHANISM,
  kafkaUserName,
  nodeConfigFile,
  type ClusterInitOptions,
  type ClusterInitResult,
  type KafkaNodeUser,
} from './cluster-init.ts';
export {
  loadServerConfig,
  resolvePaths,
  serverConfigSchema,
  type ServerConfig,
  type ServerConfigInput,
} from './server-config.ts';
export { PKCS11_PIN_ENV, startServerNode, type ServerNode, type ServerNodeOptions } from './server-node.ts';
export { issueBreakGlass, issueRootToken, revokeClusterNode } from './root-token.ts';
export { isLoopbackHost, plainHttpRefusal } from './public-transport.ts';
export { NodeProcesses } from './node-processes.ts';
