import type { JobT } from '../api/contract';
import { formatBytes, formatDuration } from '../api/format';

export { formatBytes, formatDuration };

/** A terminal progress bar on stderr: redrawn in place on a TTY, a line every few seconds otherwise. */
export class ProgressBar {
  private lastLine = 0;
  private readonly tty = process.stderr.isTTY === true;

  /** `unit: 'bytes'` shows done/total and the rate in KB/MB/GB (downloads). */
  constructor(private readonly unit: 'items' | 'bytes' = 'items') {}

  update(job: JobT): void {
    const now = Date.now();
    const final = job.state !== 'running' && job.state !== 'queued';
    if (!this.tty && !final && now - this.lastLine < 3000) return;
    this.lastLine = now;
    const line = formatJob(job, this.tty ? Math.max(10, Math.min(40, (process.stderr.columns ?? 80) - 60)) : 30, this.unit);
    if (this.tty) process.stderr.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    else process.stderr.write(`${line}\n`);
  }
}

export function formatJob(job: JobT, width = 30, unit: 'items' | 'bytes' = 'items'): string {
  const total = job.total ?? 0;
  const frac = total > 0 ? Math.min(1, job.done / total) : 0;
  const filled = Math.round(frac * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  const rate = job.ratePerSec === null ? '' : unit === 'bytes' ? `${formatBytes(job.ratePerSec)}/s` : `${job.ratePerSec.toFixed(job.ratePerSec < 10 ? 1 : 0)}/s`;
  const eta = job.etaSec !== null ? `ETA ${formatDuration(job.etaSec)}` : '';
  const amount = (n: number) => (unit === 'bytes' ? formatBytes(n) : String(n));
  const count = job.total !== null ? `${amount(job.done)}/${amount(job.total)}` : amount(job.done);
  return [job.title.padEnd(24).slice(0, 24), bar, `${(frac * 100).toFixed(0).padStart(3)}%`, count, rate, eta, job.state === 'running' ? '' : job.state]
    .filter(Boolean).join('  ');
}
