// A spinner with a counter on stderr for long operations — only when stderr is a terminal, so pipes, CI logs
// and `--json` consumers never see it. Hand-written (30 lines) rather than `ora`, which writes a line even
// when disabled unless told otherwise and discards stdin by default (bad for `dsv run`).
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Progress {
  update(text: string): void;
  stop(): void;
}

const SILENT: Progress = { update: () => undefined, stop: () => undefined };

export function startProgress(text: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return SILENT;
  let current = text;
  let frame = 0;
  const draw = () => {
    stream.write(`\r\x1b[2K${FRAMES[frame % FRAMES.length] ?? ''} ${current}`);
    frame++;
  };
  draw();
  const timer = setInterval(draw, 80);
  timer.unref(); // never keeps the process alive
  return {
    update: (next) => {
      current = next;
    },
    stop: () => {
      clearInterval(timer);
      stream.write('\r\x1b[2K');
    },
  };
}

/** Runs `work` under a spinner that is always cleared, success or failure. */
export async function withProgress<T>(text: string, work: (progress: Progress) => Promise<T>): Promise<T> {
  const progress = startProgress(text);
  try {
    return await work(progress);
  } finally {
    progress.stop();
  }
}
