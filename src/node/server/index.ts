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
export { startServerNode, type ServerNode, type ServerNodeOptions } from './server-node.ts';
