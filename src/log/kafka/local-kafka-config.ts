// server.properties and logging config for a local KRaft cluster on loopback (combined broker+controller).
import { createServer } from 'node:net';

export interface LocalBrokerSlot {
  /** 0-based position in the cluster; the Kafka node.id is index + 1. */
  readonly index: number;
  readonly nodeId: number;
  readonly port: number;
  readonly controllerPort: number;
  readonly dataDir: string;
}

/** Asks the kernel for a free loopback port (bind to 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** Files and secrets of a SASL_SSL broker (see `securityProperties`). */
export interface BrokerSecurity {
  /** PEM: the broker's PKCS#8 key followed by its certificate (issued by the cluster CA). */
  readonly keystoreFile: string;
  /** PEM: the cluster CA certificate. */
  readonly truststoreFile: string;
  /** The super user brokers use between themselves and for ACL administration. */
  readonly adminUser: string;
  readonly adminPassword: string;
}

/**
 * SASL_SSL with SCRAM-SHA-512 for clients and between brokers; the controller listener is SASL_SSL with PLAIN
 * for the admin user only (KRaft controllers cannot use SCRAM, whose credentials live in the metadata log).
 * StandardAuthorizer with allow.everyone.if.no.acl.found=false: only ACLs (and the admin super user) grant.
 */
function securityProperties(security: BrokerSecurity): Record<string, string> {
  const quote = (text: string): string => JSON.stringify(text);
  const admin = `username=${quote(security.adminUser)} password=${quote(security.adminPassword)}`;
  return {
    'listener.security.protocol.map': 'SASL_SSL:SASL_SSL,CONTROLLER:SASL_SSL',
    'inter.broker.listener.name': 'SASL_SSL',
    'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required ${admin};`,
    'sasl.mechanism.controller.protocol': 'PLAIN',
    'listener.name.controller.sasl.enabled.mechanisms': 'PLAIN',
    'listener.name.controller.plain.sasl.jaas.config':
      `org.apache.kafka.common.security.plain.PlainLoginModule required ${admin} ` +
      `user_${security.adminUser}=${quote(security.adminPassword)};`,
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': security.keystoreFile,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': security.truststoreFile,
    'ssl.endpoint.identification.algorithm': 'https',
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'allow.everyone.if.no.acl.found': 'false',
    'super.users': `User:${security.adminUser}`,
  };
}

export function renderServerProperties(
  slot: LocalBrokerSlot,
  all: readonly LocalBrokerSlot[],
  security?: BrokerSecurity,
): string {
  const count = all.length;
  // With 3 brokers a write needs 2 in-sync copies (acks=all), so one broker can be down (I-L2).
  const minIsr = count >= 3 ? 2 : 1;
  const voters = all.map((s) => `${s.nodeId}@127.0.0.1:${s.controllerPort}`).join(',');
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': slot.nodeId,
    'controller.quorum.voters': voters,
    listeners: `PLAINTEXT://127.0.0.1:${slot.port},CONTROLLER://127.0.0.1:${slot.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${slot.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': `${slot.dataDir}/log`,
    'auto.create.topics.enable': false,
    'unclean.leader.election.enable': false,
    'num.partitions': 1,
    'default.replication.factor': count,
    'min.insync.replicas': minIsr,
    'offsets.topic.replication.factor': count,
    'offsets.topic.num.partitions': 3,
    'transaction.state.log.replication.factor': count,
    'transaction.state.log.min.isr': minIsr,
    'transaction.state.log.num.partitions': 3,
    'share.coordinator.state.topic.replication.factor': count,
    'share.coordinator.state.topic.min.isr': minIsr,
    'group.initial.rebalance.delay.ms': 0,
    // The machines running tests have 2 cores; Kafka's defaults assume a server.
    'num.network.threads': 2,
    'num.io.threads': 2,
    'num.recovery.threads.per.data.dir': 1,
    'background.threads': 2,
    'log.cleaner.enable': false,
    // Notice a killed broker in ~3 s rather than the default 9 s, so leadership moves while appends retry.
    'broker.session.timeout.ms': 3000,
    'broker.heartbeat.interval.ms': 500,
  };
  if (security !== undefined) {
    Object.assign(props, securityProperties(security), {
      listeners: `SASL_SSL://127.0.0.1:${slot.port},CONTROLLER://127.0.0.1:${slot.controllerPort}`,
      'advertised.listeners': `SASL_SSL://127.0.0.1:${slot.port}`,
    });
  }
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join('\n')}\n`;
}

/** Warnings and errors only, to the process output that the launcher keeps in <dataDir>/broker.out. */
export const LOG4J2_PROPERTIES = `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
`;

/** Java options: a small heap and a quick-starting JIT, since CI runs brokers next to everything else. */
export const JVM_OPTIONS = [
  '-Xms64m',
  '-Xmx512m',
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-Djava.awt.headless=true',
] as const;
