// Free loopback ports for test clusters: the one implementation lives in src/platform (bench uses it too).
export { freePortRange } from '../../src/platform/free-ports.ts';
