// cluster/testing — seeded fault injection for cluster tests: dropped/delayed peer calls, node stop/start.
export { seededRandom, seedFrom, type SeededRandom } from './seeded-random.ts';
export {
  emptyFaultStats,
  FaultInjectingShardHolder,
  peerFaultInjector,
  type FaultInjectingOptions,
  type PeerFaultRates,
  type PeerFaultStats,
} from './fault-injecting-shard-holder.ts';
export { runNodeFaults, type NodeFaultEvent, type NodeFaultScheduleOptions } from './node-fault-schedule.ts';
