// The server's notion of "now" in unix seconds. It follows the wall clock plus an
// offset that test-clock advances add to; `frozen` stops it from following the wall
// clock, which makes tests exact. While the scheduler replays due work it pins the
// clock to each due moment so objects and events carry the time they happened at.

export interface ClockOptions {
  /** Initial time, unix seconds (default: now). */
  start?: number | undefined;
  /** Stand still between advances instead of following the wall clock. */
  frozen?: boolean | undefined;
}

export class Clock {
  private offset: number;
  private frozenAt: number | null;
  private pinned: number | null = null;

  constructor(options: ClockOptions = {}) {
    const wall = Clock.wall();
    const start = options.start ?? wall;
    this.offset = start - wall;
    this.frozenAt = options.frozen ? start : null;
  }

  static wall(): number {
    return Math.floor(Date.now() / 1000);
  }

  now(): number {
    if (this.pinned !== null) return this.pinned;
    return this.frozenAt ?? Clock.wall() + this.offset;
  }

  /** Runs `fn` with now() fixed at `time`. */
  at<T>(time: number, fn: () => T): T {
    const previous = this.pinned;
    this.pinned = time;
    try {
      return fn();
    } finally {
      this.pinned = previous;
    }
  }

  /** Moves the clock to `time`; it never goes backwards. */
  moveTo(time: number): void {
    if (time <= this.now()) return;
    if (this.frozenAt !== null) this.frozenAt = time;
    else this.offset = time - Clock.wall();
  }

  get frozen(): boolean {
    return this.frozenAt !== null;
  }
}
