/**
 * One progress line: rewritten in place (\r) on a terminal; on a pipe or CI log, plain lines at most
 * every few seconds (and whenever the phase changes), so logs stay readable.
 */
export class ProgressLine {
  private readonly tty = Boolean(process.stdout.isTTY);
  private current = '';
  private lastPhase = '';
  private lastPlainAt = 0;

  update(phase: string, detail = ''): void {
    const text = detail ? `${phase} — ${detail}` : phase;
    if (this.tty) {
      const width = Math.max(20, (process.stdout.columns ?? 120) - 1);
      this.current = text.length > width ? `${text.slice(0, width - 1)}…` : text;
      process.stdout.write(`\r\x1b[2K${this.current}`);
      return;
    }
    const now = Date.now();
    if (phase !== this.lastPhase || now - this.lastPlainAt >= 5000) {
      process.stdout.write(`${text}\n`);
      this.lastPhase = phase;
      this.lastPlainAt = now;
    }
  }

  /** A permanent line above the progress line. */
  log(line: string): void {
    if (this.tty && this.current) process.stdout.write('\r\x1b[2K');
    process.stdout.write(`${line}\n`);
    if (this.tty && this.current) process.stdout.write(this.current);
  }

  clear(): void {
    if (this.tty && this.current) process.stdout.write('\r\x1b[2K');
    this.current = '';
  }
}
