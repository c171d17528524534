/**
 * Peak resident memory of this process (worker threads included) between calls,
 * sampled every 25 ms: stages stamp it into their records (ISO report: per-stage
 * peak memory).
 */
export function createPeakMemorySampler(): { peakSinceLast: () => number; stop: () => void } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    const r = process.memoryUsage.rss();
    if (r > peak) peak = r;
  }, 25);
  timer.unref();
  return {
    peakSinceLast() {
      const now = process.memoryUsage.rss();
      const p = Math.max(peak, now);
      peak = now;
      return p;
    },
    stop: () => clearInterval(timer),
  };
}
