// Files whose every write must be durable before it is acknowledged (the embedded log, I-L2; the audit trail,
// I-A1). On Linux they are opened with O_DSYNC: each write is synced by the kernel as fdatasync would sync it
// (the data, and the size needed to read it back; generic_write_sync → vfs_fsync_range(datasync)) before the
// write call returns. One system call and one trip to libuv's thread pool per group-commit batch, where write +
// fdatasync took two (issue #10: 10-15 % of p50 at concurrency 1).
//
// Elsewhere O_DSYNC is not that: macOS's fdatasync (libuv: F_FULLFSYNC) also flushes the drive cache and its
// O_DSYNC does not, and Windows has no O_DSYNC at all (the constant is undefined). There the flag is 0 and
// `syncWritten` calls fdatasync after the write, as before.
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** Add to the open flags of a file whose writes are acknowledged as durable (0 where O_DSYNC is not used). */
export const SYNCED_WRITES: number = process.platform === 'linux' ? constants.O_DSYNC : 0;

/**
 * Call after writing a batch to a file opened with SYNCED_WRITES, before acknowledging it: nothing to do where
 * the write synced itself, an fdatasync elsewhere.
 */
export async function syncWritten(file: FileHandle): Promise<void> {
  if (SYNCED_WRITES === 0) await file.datasync();
}
