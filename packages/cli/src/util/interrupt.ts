/**
 * Ctrl-C and SIGTERM: run the registered clean-ups (remove temporary outputs), then exit
 * with 128 + the signal number, as a shell expects. Handlers are installed only while
 * something is registered, so an idle CLI keeps the default behaviour.
 */
const cleanups = new Set<() => void>();
const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;
let installed = false;

function handler(signal: keyof typeof SIGNALS): void {
  for (const c of [...cleanups]) {
    try {
      c();
    } catch {
      // keep cleaning the others
    }
  }
  cleanups.clear();
  process.stderr.write(`\nscan2print: interrupted (${signal}); unfinished outputs removed\n`);
  process.exit(128 + SIGNALS[signal]);
}

/** Registers a clean-up to run on SIGINT/SIGTERM; returns a function that unregisters it. */
export function onInterrupt(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  if (!installed) {
    installed = true;
    for (const s of Object.keys(SIGNALS) as Array<keyof typeof SIGNALS>) process.on(s, handler);
  }
  return () => {
    cleanups.delete(cleanup);
    if (cleanups.size === 0 && installed) {
      installed = false;
      for (const s of Object.keys(SIGNALS) as Array<keyof typeof SIGNALS>) process.off(s, handler);
    }
  };
}
