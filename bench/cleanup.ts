// Undo steps registered as resources are made, run last-first on success, failure, signal or watchdog.

export class CleanupStack {
  private readonly steps: Array<{ what: string; step: () => Promise<void> | void }> = [];

  defer(what: string, step: () => Promise<void> | void): void {
    this.steps.push({ what, step });
  }

  /** Runs every step even when one fails; a failure is reported on stderr, not thrown. */
  async runAll(): Promise<void> {
    for (let entry = this.steps.pop(); entry; entry = this.steps.pop()) {
      try {
        await entry.step();
      } catch (error) {
        process.stderr.write(`bench: cleanup '${entry.what}' failed: ${String(error)}\n`);
      }
    }
  }
}
