// node — the composition root: one DSV node (dsv-node.ts), the in-process dev cluster, logging and the sealers
// a node's shards are sealed with. Production nodes (one per process, `dsv cluster init`) are node/server/.
export { DevCluster, type DevClusterOptions } from './dev-cluster.ts';
export { createLogger, logLineFormatter, type LogFormat } from './logger.ts';
export { ensureDevKeyFile, envelopeSealer, type KekSource } from './sealers.ts';
