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

/**
 * A progress callback for a whole job whose fraction is already overall (the core job maps
 * every phase into one 0..1): shown without a stage column, and never going back.
 */
export function overallProgress(p: Progress): (fraction: number, message?: string) => void {
  let last = 0;
  p.stage('');
  return (f, m) => {
    last = Math.max(last, f);
    p.update(last, m);
  };
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
    const line = `  ${current ? `${current.padEnd(14)} ` : ''}${String(pct).padStart(3)}%  ${secs}s${message ? `  ${message}` : ''}`;
    // Leave the last column free (a full line wraps on some terminals); an unknown or 0 width cuts nothing.
    const cols = stream.columns;
    stream.write(`\r\x1b[2K${cols && cols > 1 ? line.slice(0, cols - 1) : line}`);
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
