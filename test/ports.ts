/**
 * Loopback ports for the services tests start (Orthanc, the test S3): a port is known free
 * only by binding it, so both helpers bind one with a plain server and release it.
 */
import { createServer, type Server } from 'node:net';

/** A plain server listening on `port` of 127.0.0.1 (0: any free port); rejects as listen fails. */
function listening(port: number): Promise<Server> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(port, '127.0.0.1', () => res(s));
  });
}

const closed = (s: Server): Promise<void> => new Promise((res) => s.close(() => res()));

/** `n` free loopback ports, distinct: all held at once, then released for the caller to bind. */
export async function freePorts(n: number): Promise<number[]> {
  const held = await Promise.all(Array.from({ length: n }, () => listening(0)));
  const ports = held.map((s) => (s.address() as { port: number }).port);
  await Promise.all(held.map(closed));
  return ports;
}

/** Resolves once `port` on loopback can be bound (tried every 250 ms); throws after `ms`, saying why it waited (`why`). */
export async function whenPortFree(port: number, ms: number, why: string): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      await closed(await listening(port));
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    }
    if (Date.now() > until) throw new Error(`port ${port} on 127.0.0.1 still in use after ${ms} ms: ${why}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
