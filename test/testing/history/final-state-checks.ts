// Checks of one key's final state: every node lists dense versions 1..N, all nodes agree (I-X1, I-X2), every
// `?version=v` read matches `/all`, and every stored value was written once by a write that did not fail.
import type { Anomaly, NodeFinalRead, Operation } from './history-types.ts';
import { describeOp } from './describe.ts';

export interface FinalView {
  /** version → value agreed by the nodes (from the first node that answered), or undefined if none did. */
  readonly reference: ReadonlyMap<number, string> | undefined;
  /** value → version in the reference. */
  readonly versionOf: ReadonlyMap<string, number>;
  readonly reads: number;
}

export function checkFinalState(
  key: string,
  nodes: readonly NodeFinalRead[],
  writesByValue: ReadonlyMap<string, Operation>,
  anomalies: Anomaly[],
): FinalView {
  const report = (kind: Anomaly['kind'], description: string, operations: number[] = []) =>
    anomalies.push({ kind, key, description: `${key}: ${description}`, operations });
  let reads = 0;
  let reference: ReadonlyMap<number, string> | undefined;
  let referenceNode = '';
  for (const node of nodes) {
    reads += 1 + node.byVersion.length;
    const { status } = node.all;
    if (status !== 200 && status !== 404) {
      report(
        status >= 500 && status !== 503 ? 'server-error' : 'unverifiable',
        `final /all on ${node.node} answered ${status} ${node.all.code ?? ''}`,
      );
      continue;
    }
    const versions = node.all.versions ?? new Map<number, string>();
    const listed = [...versions.keys()];
    if (!listed.every((version, i) => version === i + 1)) {
      report('version-gap', `final /all on ${node.node} lists versions [${listed.join(',')}], not 1..N`);
    }
    if (reference === undefined) {
      reference = versions;
      referenceNode = node.node;
    } else if (!sameVersions(reference, versions)) {
      report(
        'divergent-read',
        `final /all differs between ${referenceNode} (${reference.size} versions) and ${node.node} (${versions.size})`,
      );
    }
    checkVersionReads(node, versions, report);
  }
  const versionOf = new Map<string, number>();
  for (const [version, value] of reference ?? []) {
    const earlier = versionOf.get(value);
    if (earlier !== undefined) {
      report('duplicate-value', `one write's value is stored at versions ${earlier} and ${version}`);
      continue;
    }
    versionOf.set(value, version);
    const write = writesByValue.get(value);
    if (!write)
      report('phantom-value', `version ${version} holds a value no recorded write of this key sent`);
    else if (write.outcome.type === 'fail') {
      report('aborted-value', `version ${version} holds the value of a failed write: ${describeOp(write)}`, [
        write.id,
      ]);
    }
  }
  return { reference, versionOf, reads };
}

/** Every `?version=v` answer must match `/all` on the same node; version N+1 must be 404 (nothing hidden). */
function checkVersionReads(
  node: NodeFinalRead,
  versions: ReadonlyMap<number, string>,
  report: (kind: Anomaly['kind'], description: string) => void,
): void {
  for (const read of node.byVersion) {
    const expected = versions.get(read.version);
    if (expected === undefined) {
      if (read.status !== 404) {
        report(
          'version-gap',
          `final ?version=${read.version} on ${node.node} answered ${read.status} though /all lists ${versions.size}`,
        );
      }
    } else if (read.status !== 200) {
      report(
        read.status >= 500 && read.status !== 503 ? 'server-error' : 'unverifiable',
        `final ?version=${read.version} on ${node.node} answered ${read.status} ${read.code ?? ''}`,
      );
    } else if (read.value !== expected) {
      report('divergent-read', `final ?version=${read.version} on ${node.node} differs from its /all`);
    }
  }
}

function sameVersions(a: ReadonlyMap<number, string>, b: ReadonlyMap<number, string>): boolean {
  return a.size === b.size && [...a].every(([version, value]) => b.get(version) === value);
}
