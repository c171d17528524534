/**
 * A promise raced against a timer: what the promise gives if it settles within `ms`, else
 * what `onLate` gives (undefined without one; `onLate` may throw to make lateness an error).
 * The timer is cleared as soon as either side wins, so a promise that settles in time leaves
 * no timer behind to hold the process open or fire later.
 */
export function within<T>(p: Promise<T>, ms: number): Promise<T | undefined>;
export function within<T, L>(p: Promise<T>, ms: number, onLate: () => L): Promise<T | L>;
export function within<T, L>(p: Promise<T>, ms: number, onLate?: () => L): Promise<T | L | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<L | undefined>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(onLate?.());
      } catch (e) {
        reject(e as Error);
      }
    }, ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
