// AuditSink on append-only JSON-lines files: one chain per node, group commit (one synced write per batch,
// SYNCED_WRITES), durable before any append resolves (I-A1).
import { createSecretKey, type KeyObject } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DsvError, toDsvError } from '../../errors/index.ts';
import {
  AUDIT_FORMAT,
  checkAuditInput,
  sealRecordLine,
  type AuditReceipt,
  type AuditRecord,
  type AuditRecordInput,
} from '../audit-record.ts';
import type { AuditSink } from '../audit-sink.ts';
import { loadOrCreateAuditChainKey } from '../audit-secret.ts';
import type { ChainState } from '../chain-check.ts';
import { DirLock } from '../../platform/dir-lock.ts';
import { syncDir } from '../../platform/sync-dir.ts';
import { GroupCommit } from '../../platform/group-commit.ts';
import { SYNCED_WRITES, syncWritten } from '../../platform/durable-file.ts';
import { openNewestSegment, segmentName, type RecoveredTail } from './audit-segments.ts';

export interface JsonlAuditSinkOptions {
  /** The node's audit directory, `<dataDir>/audit`; created if missing. */
  readonly dir: string;
  /** The node id written into every record. */
  readonly node: string;
  /** A new segment starts once the current one reaches this size (default 64 MiB). */
  readonly segmentBytes?: number;
  /** The HMAC key of the chain; default `dir/audit-chain.key`, created (0600) on first open. */
  readonly chainKey?: Buffer;
}

/** At most this many records per write and sync. */
const MAX_BATCH_RECORDS = 4096;

export class JsonlAuditSink implements AuditSink {
  /** Group-commit batches synced by every audit sink of this process (the benchmark counts them). */
  static #batchSyncs = 0;
  static get batchSyncs(): number {
    return JsonlAuditSink.#batchSyncs;
  }
  readonly dir: string;
  readonly node: string;
  /** What recovery dropped when the trail was opened (a torn last line after a crash), if anything. */
  readonly recovered: RecoveredTail | undefined;
  readonly #lock: DirLock;
  readonly #segmentBytes: number;
  /** Imported once (see AuditChainKey): every record of every batch is keyed with it. */
  readonly #chainKey: KeyObject;
  #file: FileHandle;
  #segment: number;
  #size: number;
  #state: ChainState;
  readonly #appends = new GroupCommit<AuditRecordInput, AuditReceipt>({
    take: () => MAX_BATCH_RECORDS,
    write: (batch) => this.#writeBatch(batch),
    unexpected: (cause) => new DsvError('DSV_AUDIT_UNAVAILABLE', 'The audit writer failed', { cause }),
  });
  #closed = false;

  private constructor(options: JsonlAuditSinkOptions, lock: DirLock, opened: OpenedState, chainKey: Buffer) {
    this.dir = options.dir;
    this.#chainKey = createSecretKey(chainKey);
    this.node = options.node;
    this.#segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.#lock = lock;
    this.#file = opened.file;
    this.#segment = opened.number;
    this.#size = opened.size;
    this.#state = opened.state;
    this.recovered = opened.recovered;
  }

  static async open(options: JsonlAuditSinkOptions): Promise<JsonlAuditSink> {
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    // One writer per trail: two would fork the hash chain (I-A2).
    const lock = await DirLock.acquire(options.dir, { what: 'audit trail', code: 'DSV_AUDIT_UNAVAILABLE' });
    try {
      const chainKey = options.chainKey ?? (await loadOrCreateAuditChainKey(options.dir));
      return new JsonlAuditSink(options, lock, await openNewestSegment(options.dir, chainKey), chainKey);
    } catch (error) {
      await lock.release();
      if (error instanceof DsvError) throw error;
      throw new DsvError('DSV_AUDIT_UNAVAILABLE', `Cannot open the audit trail in ${options.dir}`, {
        cause: error,
      });
    }
  }

  /** True once a write failed: the sink refuses every append until reopened (readiness, issue 11). */
  get failed(): boolean {
    return this.#appends.failure !== undefined;
  }

  /** The seq the next record will get and the hash it will chain to. */
  get head(): ChainState {
    return this.#state;
  }

  append(input: AuditRecordInput): Promise<AuditReceipt> {
    if (this.#closed)
      return Promise.reject(new DsvError('DSV_AUDIT_UNAVAILABLE', 'The audit trail is closed'));
    try {
      checkAuditInput(input, this.node);
    } catch (error) {
      return Promise.reject(toDsvError(error));
    }
    return this.#appends.append({ ...input });
  }

  /** Seqs and hashes are given in queue order, one batch at a time: the chain is linear. */
  async #writeBatch(batch: readonly AuditRecordInput[]): Promise<AuditReceipt[]> {
    const records: AuditRecord[] = [];
    let text = '';
    let state = this.#state;
    for (const input of batch) {
      const { record, line } = sealRecordLine(
        {
          v: AUDIT_FORMAT,
          seq: state.nextSeq,
          time: (input.time ?? new Date()).toISOString(),
          requestId: input.requestId,
          node: this.node,
          tenant: input.tenant,
          accessor: input.accessor,
          operation: input.operation,
          target: input.target ?? null,
          pathHmac: input.pathHmac,
          outcome: input.outcome,
          status: input.status,
          prevHash: state.prevHash,
        },
        this.#chainKey,
      );
      records.push(record);
      text += `${line}\n`;
      state = { nextSeq: record.seq + 1, prevHash: record.hash, keyed: true };
    }
    const bytes = Buffer.from(text);
    try {
      if (this.#size >= this.#segmentBytes) await this.#rotate();
      await writeAll(this.#file, bytes, this.#size);
      await syncWritten(this.#file); // durable (O_DSYNC, or fdatasync) before any append resolves (I-A1)
      JsonlAuditSink.#batchSyncs += 1;
    } catch (cause) {
      // The file's state is unknown: the queue refuses further appends (reopening re-checks the chain). Try to
      // take back the bytes of records nobody was told about.
      await this.#file
        .truncate(this.#size)
        .then(() => this.#file.datasync())
        .catch(() => undefined);
      throw new DsvError('DSV_AUDIT_UNAVAILABLE', 'The audit trail could not be written', { cause });
    }
    this.#size += bytes.length;
    this.#state = state;
    return records.map((record) => ({ seq: record.seq, hash: record.hash }));
  }

  /** Starts the next segment; the chain continues across files (prevHash of its first record). */
  async #rotate(): Promise<void> {
    const next = this.#segment + 1;
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | SYNCED_WRITES;
    const file = await open(join(this.dir, segmentName(next)), flags, 0o600);
    await syncDir(this.dir);
    await this.#file.close();
    this.#file = file;
    this.#segment = next;
    this.#size = 0;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#appends.idle();
    await this.#file.close().catch(() => undefined);
    await this.#lock.release();
  }
}

type OpenedState = Awaited<ReturnType<typeof openNewestSegment>>;

async function writeAll(file: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await file.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}
