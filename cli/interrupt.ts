// Ctrl-C and SIGTERM for the commands that build (`build`, `bake`): the first signal cancels, the
// builds clean up (containers, temp dirs) and the command exits 130 (SIGINT) or 143 (SIGTERM); a
// second one exits at once, after a quick synchronous removal of this process's temp dirs (what is
// left, containers included, the next build removes).
import { sharedAbortController } from '../engine/abort.js';
import { removeTempDirsSync } from '../engine/temp-dirs.js';
import type { BuildEvent } from '../engine/events.js';

export class Interrupts {
  private readonly controller = sharedAbortController();
  private received: NodeJS.Signals | undefined;
  private containersLeft = 0;
  private readonly listener = (signal: NodeJS.Signals) => this.onSignal(signal);

  /** `onFirst` says that the build is being cancelled (through the progress view). */
  constructor(private readonly onFirst: (signal: NodeJS.Signals) => void) {
    process.on('SIGINT', this.listener);
    process.on('SIGTERM', this.listener);
  }

  /** Aborted at the first signal: give it to the builds. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get interrupted(): boolean {
    return this.received !== undefined;
  }

  /** 130 after SIGINT, 143 after SIGTERM. */
  get exitCode(): number {
    return this.received === 'SIGTERM' ? 143 : 130;
  }

  /** Notes what the builds report about their cleanup, for the last line. */
  observe(event: BuildEvent): void {
    if (event.type === 'warning' && event.containersLeft !== undefined) this.containersLeft += event.containersLeft;
  }

  /** The last line of a cancelled command. */
  cancelledLine(what: 'build' | 'bake'): string {
    return this.containersLeft > 0
      ? `${what} cancelled; ${this.containersLeft} container(s) could not be removed now: the next build removes them`
      : `${what} cancelled; intermediate containers removed`;
  }

  dispose(): void {
    process.off('SIGINT', this.listener);
    process.off('SIGTERM', this.listener);
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (this.received !== undefined) {
      this.received = signal;
      removeTempDirsSync();
      process.stderr.write('\ninterrupted again: exiting now (the cache index stays valid; the next build removes containers left behind)\n');
      process.exit(this.exitCode);
    }
    this.received = signal;
    this.onFirst(signal);
    this.controller.abort(new Error(`interrupted by ${signal}`));
  }
}
