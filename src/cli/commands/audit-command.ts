// `dsv audit verify|head|touched`: check a node's audit trail along its (keyed) hash chain, print its head
// to keep off the node as an anchor, and (with the node's audit key) find the records of one secret path.
// Works on the files, so a copy of a trail (with its audit-chain.key) can be audited offline.
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import {
  AuditPathHasher,
  readAuditSecret,
  verifyAuditTrail,
  type AuditAnchor,
  type AuditReceipt,
  type AuditRecord,
  type AuditTrailVerification,
} from '../../audit/index.ts';
import { reportAndExit } from '../admin-client.ts';

const DEFAULT_DIR = '.dsv/dev/node-0/audit';

function anchor(raw: string): AuditReceipt {
  const match = /^(\d+):([0-9a-f]{64})$/.exec(raw);
  if (!match) throw new InvalidArgumentError('expected <seq>:<64 hex hash>, as printed by a previous verify');
  return { seq: Number(match[1]), hash: match[2] ?? '' };
}

/** Reads an anchor file: one head as `dsv audit head` printed it, or an array of them (one per node). */
async function readAnchors(file: string): Promise<Array<AuditReceipt & { node?: string }>> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new InvalidArgumentError(
      `cannot read the anchor ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const heads = Array.isArray(value) ? (value as unknown[]) : [value];
  return heads.map((head) => {
    const h = (head ?? {}) as Partial<Record<keyof AuditAnchor, unknown>>;
    if (!Number.isSafeInteger(h.seq) || typeof h.hash !== 'string' || !/^[0-9a-f]{64}$/.test(h.hash))
      throw new InvalidArgumentError(`${file} is not an audit head ({"seq":…,"hash":…,"node":…})`);
    return { seq: Number(h.seq), hash: h.hash, ...(typeof h.node === 'string' ? { node: h.node } : {}) };
  });
}

/** The anchor for one trail: the one naming its node, or the only one when heads name no node. */
function anchorFor(
  anchors: ReadonlyArray<AuditReceipt & { node?: string }>,
  node: string | undefined,
): (AuditReceipt & { node?: string }) | undefined {
  return (
    anchors.find((a) => a.node !== undefined && a.node === node) ??
    (anchors.length === 1 ? anchors[0] : undefined)
  );
}

function describe(result: AuditTrailVerification): string[] {
  const broken = result.firstBrokenLink;
  if (broken === undefined) {
    const head = result.head ? ` (head ${result.head.seq}:${result.head.hash})` : '';
    const unkeyed =
      result.unkeyedRecords > 0
        ? [
            `note: ${result.unkeyedRecords} records are format 1 (unkeyed SHA-256 chain, written before the ` +
              'chain was keyed): anyone who can write the files could have recomputed them',
          ]
        : [];
    return [`ok: ${result.records} records, chain intact${head}`, ...unkeyed];
  }
  const where = broken.line > 0 ? `${broken.file} line ${broken.line}` : broken.file;
  return [`broken at seq ${broken.seq}: ${broken.reason}`, `  ${broken.detail} (${where})`];
}

export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description("a node's tamper-evident audit trail");

  audit
    .command('verify')
    .description('check the hash chain of audit trails; exit code 1 at the first broken link')
    .option('--dir <dir...>', "a node's audit directory (<node data dir>/audit); repeatable", [DEFAULT_DIR])
    .option('--expect-head <seq:hash>', 'a head recorded earlier: also catches a cleanly cut tail', anchor)
    .option(
      '--anchor <file>',
      'a head printed earlier by `dsv audit head` (JSON; an array for several nodes): fails when the trail ' +
        'no longer holds that record with that hash (cut off or rewritten)',
    )
    .option('--json', 'machine-readable output')
    .action(
      async (options: { dir: string[]; expectHead?: AuditReceipt; anchor?: string; json?: boolean }) => {
        try {
          const anchors = options.anchor === undefined ? undefined : await readAnchors(options.anchor);
          const results = [];
          for (const dir of options.dir) {
            let expectHead: (AuditReceipt & { node?: string }) | undefined = options.expectHead;
            if (anchors !== undefined) {
              const node = (await verifyAuditTrail(dir)).node;
              expectHead = anchorFor(anchors, node);
              // An anchor file that says nothing about this node must not pass it silently.
              if (expectHead === undefined)
                throw new InvalidArgumentError(`${options.anchor} holds no head for ${node ?? dir}`);
            }
            const result = await verifyAuditTrail(dir, expectHead ? { expectHead } : {});
            results.push({ dir, ...result });
            if (options.json) continue;
            const lines = describe(result);
            console.log(
              options.dir.length > 1 ? lines.map((line) => `${dir}: ${line}`).join('\n') : lines.join('\n'),
            );
          }
          if (options.json) console.log(JSON.stringify(options.dir.length > 1 ? results : results[0]));
          if (results.some((result) => result.firstBrokenLink !== undefined)) process.exitCode = 1;
        } catch (error) {
          reportAndExit(error);
        }
      },
    );

  audit
    .command('head')
    .description(
      'print the latest record (seq, hash, node, time) of intact trails as JSON: keep it off the node and ' +
        'check later with `dsv audit verify --anchor`',
    )
    .option('--dir <dir...>', "a node's audit directory (<node data dir>/audit); repeatable", [DEFAULT_DIR])
    .action(async (options: { dir: string[] }) => {
      try {
        const heads: AuditAnchor[] = [];
        for (const dir of options.dir) {
          const result = await verifyAuditTrail(dir);
          // Anchoring a broken trail would vouch for it: refuse, saying where it breaks.
          if (result.firstBrokenLink !== undefined) {
            console.error(`${dir}: ${describe(result).join('\n')}`);
            process.exitCode = 1;
            return;
          }
          if (result.anchor === undefined) {
            console.error(`${dir}: the trail holds no records yet`);
            process.exitCode = 1;
            return;
          }
          heads.push(result.anchor);
        }
        console.log(JSON.stringify(heads.length === 1 ? heads[0] : heads));
      } catch (error) {
        reportAndExit(error);
      }
    });

  audit
    .command('touched <namespace> <name>')
    .description("records of one secret path, found by its HMAC under the tenant's key (needs the audit.key)")
    .requiredOption('--tenant <tenant>', 'the tenant the secret belongs to')
    .option('--dir <dir>', "a node's audit directory holding audit.key and the trail", DEFAULT_DIR)
    .option('--json', 'machine-readable output')
    .action(
      async (namespace: string, name: string, options: { tenant: string; dir: string; json?: boolean }) => {
        try {
          const hasher = new AuditPathHasher(await readAuditSecret(options.dir));
          const pathHmac = hasher.pathHmac(options.tenant, namespace, name);
          const verification = await verifyAuditTrail(options.dir);
          const found: AuditRecord[] = [];
          for (const file of verification.files) {
            for (const line of (await readFile(file, 'utf8')).split('\n')) {
              if (!line.includes(pathHmac)) continue;
              const record = JSON.parse(line) as AuditRecord;
              if (record.pathHmac === pathHmac && record.tenant === options.tenant) found.push(record);
            }
          }
          if (options.json) return console.log(JSON.stringify({ pathHmac, records: found }));
          for (const r of found) {
            console.log(
              `${r.seq}\t${r.time}\t${r.operation}\t${r.status}\t${r.accessor ?? '-'}\t${r.requestId}`,
            );
          }
          console.log(`${found.length} records of this path (pathHmac ${pathHmac})`);
          if (verification.firstBrokenLink !== undefined) {
            console.error(`warning: the trail is ${describe(verification)[0] ?? 'broken'}`);
          }
        } catch (error) {
          reportAndExit(error);
        }
      },
    );
}
