/** Items/s and ETA from progress samples, smoothed so the numbers a curator reads do not jitter. */
export class RateMeter {
  private lastTime: number;
  private lastDone: number;
  private rate: number | null = null;

  constructor(done: number, private readonly now: () => number = () => performance.now()) {
    this.lastTime = now();
    this.lastDone = done;
  }

  update(done: number): void {
    const t = this.now();
    const dt = (t - this.lastTime) / 1000;
    if (dt < 0.2) return;
    const instant = (done - this.lastDone) / dt;
    // Exponential smoothing weighted by elapsed time: recent batches count more, one slow batch does not dominate.
    const alpha = Math.min(1, dt / 3);
    this.rate = this.rate === null ? instant : this.rate + alpha * (instant - this.rate);
    this.lastTime = t;
    this.lastDone = done;
  }

  get perSecond(): number | null {
    return this.rate;
  }

  eta(done: number, total: number | null): number | null {
    if (total === null || this.rate === null || this.rate <= 0) return null;
    return Math.max(0, (total - done) / this.rate);
  }
}
