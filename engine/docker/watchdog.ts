// Liveness of the daemon while a build waits on it. A daemon that stops answering (frozen, swapped
// out, a proxy in front of it stuck) leaves its connections open: a RUN's wait, a commit or a load
// would wait forever and even Ctrl-C would find nothing to cancel. The watchdog pings it every few
// seconds with a short time-out and, after a few misses in a row, fails the build with a clear error.
import type Docker from 'dockerode';
import { DaemonError, pingDaemon, stoppedAnsweringMessage } from './daemon.js';

export interface WatchdogTiming {
  /** Time between pings. */
  intervalMs: number;
  /** Time a ping may take before it counts as a miss. */
  timeoutMs: number;
  /** Misses in a row that mean the daemon is gone. */
  misses: number;
}

/** ~10 s from the daemon's last answer to the error: long enough for a daemon busy committing gigabytes (pings stay fast). */
export const defaultWatchdogTiming: WatchdogTiming = { intervalMs: 3000, timeoutMs: 3000, misses: 3 };

export class DaemonWatchdog {
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;
  private missed = 0;
  private failure: DaemonError | undefined;
  private lastAnswer = Date.now();

  constructor(
    private readonly docker: Docker,
    private readonly onDead: (error: DaemonError) => void,
    private readonly timing: WatchdogTiming = defaultWatchdogTiming,
  ) {}

  /** The error given when the daemon stopped answering, once it has. */
  get dead(): DaemonError | undefined {
    return this.failure;
  }

  start(): void {
    if (this.timer || this.failure) return;
    this.lastAnswer = Date.now();
    this.timer = setInterval(() => void this.check(), this.timing.intervalMs);
    // The build's own work keeps the process alive; the watchdog must not (a finished library
    // build would never let its process exit).
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async check(): Promise<void> {
    if (this.inFlight || this.failure) return;
    this.inFlight = true;
    try {
      await pingDaemon(this.docker, this.timing.timeoutMs);
      this.missed = 0;
      this.lastAnswer = Date.now();
    } catch {
      this.missed++;
      if (this.missed >= this.timing.misses && !this.failure && this.timer) {
        this.failure = new DaemonError(stoppedAnsweringMessage(Math.round((Date.now() - this.lastAnswer) / 1000)));
        this.stop();
        this.onDead(this.failure);
      }
    } finally {
      this.inFlight = false;
    }
  }
}

/**
 * A deadline for cleanup after an interrupt: `budgetMs`, then longer only while the daemon keeps
 * answering pings (a busy daemon removes containers one at a time, ~1–2 s each under load, moby/moby#46661),
 * and never past `maxMs`. A frozen daemon ends the wait at `budgetMs` plus one ping; a slow one is waited for.
 */
export function patientDeadline(
  docker: Docker,
  { budgetMs, maxMs, pingMs = 1000 }: { budgetMs: number; maxMs: number; pingMs?: number },
): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const expire = () => controller.abort(new Error(`no answer within ${Math.round((Date.now() - started) / 1000)}s`));
  const check = async (): Promise<void> => {
    if (controller.signal.aborted) return;
    if (Date.now() - started >= maxMs) return expire();
    const answered = await pingDaemon(docker, pingMs).then(
      () => true,
      () => false,
    );
    if (!answered) return expire();
    schedule(pingMs);
  };
  const schedule = (ms: number) => {
    timer = setTimeout(() => void check(), ms);
    timer.unref();
  };
  schedule(Math.min(budgetMs, maxMs));
  return { signal: controller.signal, dispose: () => clearTimeout(timer) };
}
