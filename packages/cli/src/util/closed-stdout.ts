/**
 * `scan2print convert --help | head -3`: the reader closes the pipe and the next write to stdout
 * fails with EPIPE, which Node raises as an unhandled 'error' event (a stack trace, exit 1).
 * A closed stdout is the reader saying it has seen enough, not a failure of the command: later
 * writes are dropped and the command runs to its normal end (a convert still writes its files
 * all or nothing and exits with its own code).
 */
export function dropWritesOnClosedStdout(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    stream.write = (() => true) as typeof stream.write;
  });
}
