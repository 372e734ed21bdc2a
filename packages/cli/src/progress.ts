import { performance } from 'node:perf_hooks';
import { humanDuration } from './format.js';

export interface Counts {
  readonly applied: number;
  readonly kept: number;
  readonly failed: number;
}

/**
 * Import progress on stderr. A terminal gets one redrawn bar (at most 10 redraws a second);
 * anything else (a log file, CI) gets a plain line each time another 5% is done.
 */
export class Progress {
  private readonly write: (text: string) => void;
  private readonly total: number;
  private readonly tty: boolean;
  private readonly started = performance.now();
  private lastDraw = Number.NEGATIVE_INFINITY;
  private lastStep = 0;
  private drawn = false;

  constructor(write: (text: string) => void, total: number, tty: boolean) {
    this.write = write;
    this.total = total;
    this.tty = tty;
  }

  update(done: number, counts: Counts): void {
    if (this.total === 0) return;
    if (this.tty) {
      const now = performance.now();
      if (now - this.lastDraw < 100 && done < this.total) return;
      this.lastDraw = now;
      this.drawn = true;
      this.write(`\r${this.bar(done, counts)}\u001b[K`);
      return;
    }
    const step = Math.floor((done * 20) / this.total);
    if (step <= this.lastStep) return;
    this.lastStep = step;
    this.write(`import: ${step * 5}% (${done}/${this.total}) ${this.countsText(counts)}\n`);
  }

  finish(): void {
    if (this.tty && this.drawn) this.write('\n');
  }

  private countsText(counts: Counts): string {
    return `applied ${counts.applied}, kept ${counts.kept}, failed ${counts.failed}`;
  }

  private bar(done: number, counts: Counts): string {
    const width = 30;
    const share = done / this.total;
    const filled = Math.round(share * width);
    const elapsed = (performance.now() - this.started) / 1000;
    const eta =
      done > 0 && done < this.total ? `, ${humanDuration((elapsed / done) * (this.total - done))} left` : '';
    const percent = `${Math.floor(share * 100)}%`.padStart(4);
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent} ${done}/${this.total} ${this.countsText(counts)}${eta}`;
  }
}
