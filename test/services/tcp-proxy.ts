/**
 * A loopback TCP proxy that a test can cut (every connection reset, new ones refused) and
 * restore: a database or store "going down" without stopping the shared server.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** A TCP proxy to PostgreSQL that can be cut (all connections dropped, new ones reset) and restored. */
export interface Proxy {
  port: number;
  /** Connections reset because the proxy was cut. */
  readonly refused: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startProxy(target: { host: string; port: number }): Promise<Proxy> {
  const open = new Set<Socket>();
  let up = true;
  let refused = 0;
  const server: Server = createServer((client) => {
    if (!up) {
      refused++;
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        open.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    get refused() {
      return refused;
    },
    cut() {
      up = false;
      for (const s of open) s.resetAndDestroy();
      open.clear();
    },
    restore() {
      up = true;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  };
}
