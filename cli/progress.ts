/**
 * The progress bar `call --wait` and `result --wait` draw from a task's `PROGRESS` meta
 * (`{current, total}`): one line redrawn in place on a terminal, one plain line per change
 * otherwise (a log, a pipe).
 */

/** `current`/`total` from a task's meta, when it carries both as numbers (total > 0). */
export function progressOf(meta: unknown): { current: number; total: number } | null {
  if (typeof meta !== "object" || meta === null) return null;
  const { current, total } = meta as Record<string, unknown>;
  if (typeof current !== "number" || typeof total !== "number" || !Number.isFinite(current) || !Number.isFinite(total) || total <= 0) return null;
  return { current, total };
}

/** The bar's text: `[#####     ] 5/10 50%`, the fill clamped to 0..width. Pure. */
export function progressBar(current: number, total: number, width = 30): string {
  const ratio = Math.min(1, Math.max(0, current / total));
  const filled = Math.round(ratio * width);
  return `[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${current}/${total} ${Math.floor(ratio * 100)}%`;
}

/** Where the bar is drawn. */
export interface ProgressOut {
  write(text: string): void;
  /** A terminal: the line is redrawn in place. */
  isTTY: boolean;
}

/** Draws a task's states and progress as they change; `end()` before printing anything else. */
export class ProgressReporter {
  private drawn = false;
  private last = "";

  constructor(private readonly out: ProgressOut) {}

  /** Shows the task's state and, when its meta says, the bar. */
  update(state: string, meta: unknown): void {
    const p = progressOf(meta);
    const line = p ? `${state} ${progressBar(p.current, p.total)}` : state;
    if (line === this.last) return;
    this.last = line;
    if (this.out.isTTY) {
      // Carriage return, the line, then erase what a longer previous line left.
      this.out.write(`\r${line}\x1b[K`);
      this.drawn = true;
    } else this.out.write(`${line}\n`);
  }

  /** Ends the redrawn line (a terminal only). */
  end(): void {
    if (this.drawn) this.out.write("\n");
    this.drawn = false;
  }
}
