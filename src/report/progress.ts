// A one-line progress bar on stderr for long runs: only on a terminal, only once the run
// has lasted a moment (a short run never flickers), redrawn a few times a second, and
// erased before anything else is printed.

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface Progress {
  /** `done` of `total` files processed. */
  update(done: number, total: number): void;
  /** Erases the bar, if one was drawn. */
  finish(): void;
}

export interface ProgressOptions {
  /** Nothing is drawn before the run has lasted this long. */
  delayMs?: number;
  /** At most one redraw per this many milliseconds. */
  intervalMs?: number;
  now?: () => number;
}

export const NO_PROGRESS: Progress = { update() {}, finish() {} };

export function progressBar(stream: ProgressStream, options: ProgressOptions = {}): Progress {
  if (!stream.isTTY) return NO_PROGRESS;
  const now = options.now ?? (() => performance.now());
  const delay = options.delayMs ?? 1000;
  const interval = options.intervalMs ?? 100;
  const started = now();
  let drawnAt = -Infinity;
  let drawn = false;
  return {
    update(done, total) {
      const t = now();
      if (t - started < delay || t - drawnAt < interval || total === 0) return;
      drawnAt = t;
      drawn = true;
      stream.write(`\r\u001b[2K${barLine(done, total, (t - started) / 1000, stream.columns ?? 80)}`);
    },
    finish() {
      if (drawn) stream.write("\r\u001b[2K");
      drawn = false;
    },
  };
}

/** `[#########.........]  1234/5000 files  3.2 s`, fitted to the terminal's width. */
export function barLine(done: number, total: number, seconds: number, columns: number): string {
  const tail = ` ${String(done).padStart(String(total).length)}/${total} files  ${seconds.toFixed(1)} s`;
  const width = Math.max(10, Math.min(40, columns - tail.length - 3));
  const filled = Math.round((width * Math.min(done, total)) / total);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}]${tail}`;
}
