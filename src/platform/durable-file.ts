// Files whose every write must be durable before it returns (the embedded log, I-L2; the audit trail, I-A1).
// Opened with O_DSYNC, each write is synced by the kernel as fdatasync would sync it (the data, and the size
// needed to read it back) before the write call returns: one system call and one trip to libuv's thread pool
// per group-commit batch, where write + fdatasync took two (issue #10: 10-15 % of p50 at concurrency 1).
import { constants } from 'node:fs';

/** Add to the open flags of a file whose writes are acknowledged as durable. */
export const SYNCED_WRITES = constants.O_DSYNC;
