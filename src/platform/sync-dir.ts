// fsync of a directory itself: a file created, renamed or removed in it survives a crash only once the
// directory's entry is on disk (I-L2 for the log, the audit trail's segments, the KEK files).
import { open } from 'node:fs/promises';

/** Makes the created, renamed or removed entries of `dir` durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
