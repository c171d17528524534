/**
 * Progress on a terminal: one line on stderr, rewritten in place (stage, percent,
 * elapsed). Silent when stderr is not a TTY, with --quiet or with --json, so it never
 * pollutes machine-readable output or pipes.
 */
export interface Progress {
  stage(name: string): void;
  update(fraction: number, message?: string): void;
  done(): void;
}

export function createProgress(opts: { quiet?: boolean; json?: boolean; stream?: NodeJS.WriteStream } = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const enabled = !opts.quiet && !opts.json && stream.isTTY === true;
  const t0 = Date.now();
  let current = '';
  let last = 0;
  const draw = (fraction: number, message?: string) => {
    if (!enabled) return;
    const now = Date.now();
    if (now - last < 80 && fraction < 1) return;
    last = now;
    const pct = Math.max(0, Math.min(100, Math.round(fraction * 100)));
    const secs = ((now - t0) / 1000).toFixed(1);
    const line = `  ${current.padEnd(14)} ${String(pct).padStart(3)}%  ${secs}s${message ? `  ${message}` : ''}`;
    stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 100) - 1)}`);
  };
  return {
    stage(name) {
      current = name;
      draw(0);
    },
    update: draw,
    done() {
      if (enabled) stream.write('\r\x1b[2K');
    },
  };
}
