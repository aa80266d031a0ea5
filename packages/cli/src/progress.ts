/**
 * Progress of a long run on stderr: a bar redrawn in place on a terminal, plain lines
 * every few seconds otherwise (CI logs). Never on stdout, so --json output stays clean.
 * Labels come from scenario names: their control characters are escaped before the
 * bar's own are added.
 */
import { printable } from './output';

export interface ProgressStream {
  isTTY?: boolean;
  write(chunk: string): boolean;
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

/** `~12 s left` from the time spent and the share done, or `estimating` before there is a share. */
export function timeLeft(seconds: number, done: number): string {
  const left = done > 0 ? (seconds * (1 - done)) / done : Number.NaN;
  return Number.isFinite(left) ? `~${Math.ceil(left)} s left` : 'estimating';
}

/** One status line: a bar and text on a terminal, a plain line in a log; at most once per interval. */
class StatusLine {
  readonly started = performance.now();
  private last = Number.NEGATIVE_INFINITY;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly everyMs: number,
  ) {}

  get seconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  /** Whether a line may be drawn now: not in the first second (too early for a rate), then once per interval. */
  due(): boolean {
    const now = performance.now();
    if (now - this.started < 1000 || now - this.last < this.everyMs) return false;
    this.last = now;
    return true;
  }

  draw(done: number, raw: string): void {
    const text = printable(raw);
    if (this.stream.isTTY) {
      const width = 24;
      const filled = Math.round(Math.min(1, done) * width);
      this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\u001b[K`);
      this.drawn = true;
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  clear(): void {
    if (this.drawn) this.stream.write('\r\u001b[K');
    this.drawn = false;
  }
}

/** A run's progress: the simulated day, the rate and the time left. */
export class Progress {
  private readonly line: StatusLine;

  constructor(
    private readonly label: string,
    private readonly totalDays: number,
    stream: ProgressStream = process.stderr,
    /** How often to draw: often on a terminal, rarely in a log. */
    everyMs = stream.isTTY ? 200 : 10_000,
  ) {
    this.line = new StatusLine(stream, everyMs);
  }

  /** `day`: simulated days completed so far. */
  update(messages: number, day: number): void {
    if (!this.line.due()) return;
    const seconds = this.line.seconds;
    const done = Math.min(1, day / this.totalDays);
    const text = `${this.label}: day ${Math.min(day + 1, this.totalDays)}/${this.totalDays} · ${fmt(messages / seconds)} messages/s · ${timeLeft(seconds, done)}`;
    this.line.draw(done, text);
  }

  /** Clears the bar (on a terminal) once the run is over. */
  done(): void {
    this.line.clear();
  }
}

/**
 * A sweep's progress: runs done of all, and the time left at the pace so far. Runs end
 * rarely, so a clock redraws the line in between (the time left keeps counting down).
 */
export class RunsProgress {
  private readonly line: StatusLine;
  private finished = 0;
  private readonly clock: ReturnType<typeof setInterval>;

  constructor(
    private readonly label: string,
    private readonly total: number,
    stream: ProgressStream = process.stderr,
    everyMs = stream.isTTY ? 200 : 10_000,
  ) {
    this.line = new StatusLine(stream, everyMs);
    this.clock = setInterval(() => this.draw(), Math.max(everyMs, 1000));
    this.clock.unref();
  }

  /** `done`: runs finished so far. */
  update(done: number): void {
    this.finished = done;
    this.draw();
  }

  private draw(): void {
    if (!this.line.due()) return;
    const share = this.finished / this.total;
    this.line.draw(share, `${this.label}: ${this.finished} of ${this.total} runs done · ${timeLeft(this.line.seconds, share)}`);
  }

  done(): void {
    clearInterval(this.clock);
    this.line.clear();
  }
}
