/**
 * Progress of a long run on stderr: a bar redrawn in place on a terminal, plain lines
 * every few seconds otherwise (CI logs). Never on stdout, so --json output stays clean.
 */

export interface ProgressStream {
  isTTY?: boolean;
  write(chunk: string): boolean;
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

export class Progress {
  private readonly started = performance.now();
  private last = Number.NEGATIVE_INFINITY;
  private drawn = false;

  constructor(
    private readonly label: string,
    private readonly totalDays: number,
    private readonly stream: ProgressStream = process.stderr,
    /** How often to draw: often on a terminal, rarely in a log. */
    private readonly everyMs = stream.isTTY ? 200 : 10_000,
  ) {}

  /** `day`: simulated days completed so far. */
  update(messages: number, day: number): void {
    const now = performance.now();
    const seconds = (now - this.started) / 1000;
    // Nothing in the first second (too early for a rate), then at most once per interval.
    if (seconds < 1 || now - this.last < this.everyMs) return;
    this.last = now;
    const rate = messages / seconds;
    const done = Math.min(1, day / this.totalDays);
    const left = done > 0 ? (seconds * (1 - done)) / done : Number.NaN;
    const eta = Number.isFinite(left) ? `~${Math.ceil(left)} s left` : 'estimating';
    const text = `${this.label}: day ${Math.min(day + 1, this.totalDays)}/${this.totalDays} · ${fmt(rate)} messages/s · ${eta}`;
    if (this.stream.isTTY) {
      const width = 24;
      const filled = Math.round(done * width);
      this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\u001b[K`);
      this.drawn = true;
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** Clears the bar (on a terminal) once the run is over. */
  done(): void {
    if (this.drawn) this.stream.write('\r\u001b[K');
  }
}
