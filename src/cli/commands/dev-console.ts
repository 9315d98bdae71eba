// The `dsv dev` node console, one implementation for both dev clusters: in-process (`dsv dev`, DevCluster)
// and multi-process (`dsv dev --kafka`, NodeProcesses). Each adapts itself to DevNodeControl; the commands
// read from stdin — `status`, `stop <node>`, `start <node>`, `restart <node>`, `help` — are parsed and run here.
import { fstatSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/** What the console needs from a dev cluster. */
export interface DevNodeControl {
  nodes(): ReadonlyArray<{ nodeId: string; running: boolean; url: string; detail?: string }>;
  /** Stops one node and resolves once it has stopped (its requests drained). */
  stopNode(nodeId: string): Promise<void>;
  /** Starts a stopped node again with the same config, ports and data; resolves once it serves. */
  startNode(nodeId: string): Promise<void>;
}

export type ConsoleCommand =
  | { readonly kind: 'status' }
  | { readonly kind: 'help' }
  | { readonly kind: 'stop' | 'start' | 'restart'; readonly nodeId: string }
  | { readonly kind: 'invalid'; readonly message: string };

export const CONSOLE_HELP =
  'commands: status | stop <node-id> | start <node-id> | restart <node-id> | help   (Ctrl-C quits)';

/** One console line to a command; an empty line is `status`. */
export function parseConsoleCommand(line: string): ConsoleCommand {
  const [command = '', nodeId, ...rest] = line.trim().split(/\s+/);
  switch (command) {
    case '':
    case 'status':
      return nodeId === undefined ? { kind: 'status' } : { kind: 'invalid', message: 'usage: status' };
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'stop':
    case 'start':
    case 'restart':
      if (nodeId === undefined || rest.length > 0)
        return { kind: 'invalid', message: `usage: ${command} <node-id> (e.g. ${command} node-1)` };
      return { kind: command, nodeId };
    default:
      return { kind: 'invalid', message: `unknown command "${command}"; ${CONSOLE_HELP}` };
  }
}

/** Runs one parsed command against the cluster; every outcome is a line through `print`, never a throw. */
export async function runConsoleCommand(
  control: DevNodeControl,
  command: ConsoleCommand,
  print: (line: string) => void,
): Promise<void> {
  const node = (nodeId: string) => control.nodes().find((candidate) => candidate.nodeId === nodeId);
  try {
    switch (command.kind) {
      case 'status':
        for (const { nodeId, running, url, detail } of control.nodes())
          print(`${nodeId}  ${running ? 'running' : 'stopped'}  ${url}${detail ? `  ${detail}` : ''}`);
        return;
      case 'help':
        print(CONSOLE_HELP);
        return;
      case 'invalid':
        print(command.message);
        return;
      case 'stop':
        if (node(command.nodeId)?.running === false) {
          print(`${command.nodeId} is already stopped`);
          return;
        }
        await control.stopNode(command.nodeId);
        print(`${command.nodeId} stopped`);
        return;
      case 'start':
        if (node(command.nodeId)?.running === true) {
          print(`${command.nodeId} is already running`);
          return;
        }
        await control.startNode(command.nodeId);
        print(`${command.nodeId} started`);
        return;
      case 'restart':
        await control.stopNode(command.nodeId);
        await control.startNode(command.nodeId);
        print(`${command.nodeId} restarted`);
        return;
    }
  } catch (error) {
    print(`error: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Whether stdin can carry console commands: a terminal, a pipe, a socket or a file — not /dev/null (a
 * service, or a child started with stdin ignored).
 */
export function stdinCarriesCommands(): boolean {
  if (process.stdin.isTTY) return true;
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isSocket() || stat.isFile();
  } catch {
    return false;
  }
}

/**
 * Reads commands line by line and runs them one at a time, in order. On a terminal it shows a `dsv> ` prompt
 * and Ctrl-C quits as the signal would; from a pipe it answers each line and ignores the end of input.
 */
export function startDevConsole(
  control: DevNodeControl,
  io: { input: Readable; output: Writable; terminal: boolean } = {
    input: process.stdin,
    output: process.stdout,
    terminal: process.stdin.isTTY,
  },
): Interface {
  const rl = createInterface({ input: io.input, output: io.output, prompt: 'dsv> ', terminal: io.terminal });
  const prompt = () => io.terminal && rl.prompt();
  const print = (line: string) => void io.output.write(`${line}\n`);
  let queue = Promise.resolve();
  prompt();
  rl.on('line', (line) => {
    queue = queue.then(() => runConsoleCommand(control, parseConsoleCommand(line), print)).finally(prompt);
  });
  rl.on('SIGINT', () => process.kill(process.pid, 'SIGINT'));
  return rl;
}
