// Ctrl-C and SIGTERM for the commands that build (`build`, `bake`): the first signal cancels, the
// builds clean up (containers, temp dirs) and the command exits 130 (SIGINT) or 143 (SIGTERM); a
// second one exits at once, after a quick synchronous removal of this process's temp dirs (what is
// left, containers included, the next build removes). An output closed under the build (`| head`)
// cancels it as a first signal does, and the command exits 141, as a shell reports SIGPIPE.
import type { BuildEvent } from '../engine/events.js';
import { sharedAbortController } from '../engine/util/abort.js';
import { removeTempDirsSync } from '../engine/util/temp-dirs.js';
import { onOutputClosed } from './closed-output.js';

export class Interrupts {
  private readonly controller = sharedAbortController();
  private received: NodeJS.Signals | undefined;
  private containersLeft = 0;
  private readonly listener = (signal: NodeJS.Signals) => this.onSignal(signal);
  private readonly unwatchOutput: () => void;

  /** `onFirst` says that the build is being cancelled (through the progress view). */
  constructor(private readonly onFirst: (signal: NodeJS.Signals) => void) {
    process.on('SIGINT', this.listener);
    process.on('SIGTERM', this.listener);
    // Never the forced exit of a second signal: nothing more can be said to a closed output anyway.
    this.unwatchOutput = onOutputClosed(() => {
      if (this.received === undefined) this.onSignal('SIGPIPE');
    });
  }

  /** Aborted at the first signal: give it to the builds. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get interrupted(): boolean {
    return this.received !== undefined;
  }

  /** 130 after SIGINT, 143 after SIGTERM, 141 after a closed output. */
  get exitCode(): number {
    return this.received === 'SIGTERM' ? 143 : this.received === 'SIGPIPE' ? 141 : 130;
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
    this.unwatchOutput();
    process.off('SIGINT', this.listener);
    process.off('SIGTERM', this.listener);
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (this.received !== undefined) {
      this.received = signal;
      removeTempDirsSync();
      process.stderr.write(
        '\ninterrupted again: exiting now (the cache index stays valid; the next build removes containers left behind)\n',
      );
      process.exit(this.exitCode);
    }
    this.received = signal;
    this.onFirst(signal);
    this.controller.abort(new Error(`interrupted by ${signal}`));
  }
}
