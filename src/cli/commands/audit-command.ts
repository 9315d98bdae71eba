// `dsv audit verify|touched`: check a node's audit trail along its hash chain, and (with the node's audit
// key) find the records of one secret path. Works on the files, so a copy of a trail can be audited offline.
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import {
  AuditPathHasher,
  readAuditSecret,
  verifyAuditTrail,
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

function describe(result: AuditTrailVerification): string[] {
  const broken = result.firstBrokenLink;
  if (broken === undefined) {
    const head = result.head ? ` (head ${result.head.seq}:${result.head.hash})` : '';
    return [`ok: ${result.records} records, chain intact${head}`];
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
    .option('--json', 'machine-readable output')
    .action(async (options: { dir: string[]; expectHead?: AuditReceipt; json?: boolean }) => {
      try {
        const results = [];
        for (const dir of options.dir) {
          const result = await verifyAuditTrail(
            dir,
            options.expectHead ? { expectHead: options.expectHead } : {},
          );
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
