// Free loopback ports for test clusters, chosen below the OS's ephemeral port range. A port found free is
// only bound a moment later (the cluster starts after the probe), and a port from the ephemeral range can be
// taken in between by any outgoing connection on the machine — which, with two test files running at once,
// happened (EADDRINUSE). Below that range only a listener that names its port can take it; ports handed
// out once are never handed out again by this process (a cluster asks for its public and its peer range
// before it binds either). Where the range cannot be read, the OS-chosen ports of src/platform are used.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePortRange as osChosenPortRange } from '../../src/platform/free-ports.ts';

const LOWEST = 10_000;

function ephemeralLow(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const value = Number(low);
    return Number.isInteger(value) && value > 0 ? value : 32_768;
  } catch {
    return 32_768; // not Linux: the IANA dynamic range starts at 49152, Linux's default at 32768
  }
}

const below = ephemeralLow();
const handedOut = new Set<number>();

/** `count` consecutive free ports starting at the returned base, so node i can use base + i. */
export async function freePortRange(count: number): Promise<number> {
  const span = below - LOWEST - count;
  if (span < 1000) return osChosenPortRange(count);
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = LOWEST + Math.floor(Math.random() * span);
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if (ports.some((port) => handedOut.has(port))) continue;
    const free = await Promise.all(ports.map(portIsFree));
    if (!free.every(Boolean)) continue;
    for (const port of ports) handedOut.add(port);
    return base;
  }
  return osChosenPortRange(count);
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
