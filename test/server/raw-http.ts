/**
 * HTTP written by hand over a loopback socket, for requests fetch will not send: a
 * Content-Length that lies, a body cut off mid-way, '..' left in the path, odd headers.
 */
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `head` (request line and headers, CRLF-separated, without the blank line) and then
 * `body`; `end` half-closes the socket after the body (a client that stops sending). Resolves
 * on the first complete response, or on close with what arrived (status 0 if nothing did).
 */
export function rawRequest(url: string, head: string, body: Uint8Array | string = '', opts: { end?: boolean } = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect({ host: hostname, port: Number(port) });
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = () => {
      if (done) return;
      const text = buf.toString('latin1');
      const at = text.indexOf('\r\n\r\n');
      if (at < 0) {
        if (sock.destroyed || sock.readableEnded) {
          done = true;
          resolve({ status: 0, headers: {}, body: text });
        }
        return;
      }
      const lines = text.slice(0, at).split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const rest = buf.subarray(Buffer.byteLength(text.slice(0, at + 4), 'latin1'));
      const len = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
      if (len !== undefined ? rest.length < len : !(sock.destroyed || sock.readableEnded)) return;
      done = true;
      sock.destroy();
      resolve({ status: Number(lines[0]!.split(' ')[1]), headers, body: rest.subarray(0, len ?? rest.length).toString('utf8') });
    };
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      finish();
    });
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', (e) => (done ? undefined : buf.length ? finish() : reject(e)));
    sock.write(`${head}\r\n\r\n`);
    if (body.length) sock.write(body);
    if (opts.end) sock.end();
  });
}
