// Positional whole-buffer reads and writes: FileHandle.read/write may move fewer bytes than asked.
import type { FileHandle } from 'node:fs/promises';

/**
 * Reads up to `length` bytes at `position`; fewer only at the end of the file. The buffer is never from
 * Node's shared pool, so handing out views into it exposes nothing but these file bytes.
 */
export async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafeSlow(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(buf, done, length - done, position + done);
    if (bytesRead === 0) return buf.subarray(0, done);
    done += bytesRead;
  }
  return buf;
}

export async function writeAt(file: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await file.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}
