// The loopback S3 server of the tests (test/services/s3.ts: s3rver made to accept AWS SDK v3
// bodies), in a process of its own so that its CPU is not charged to the load generator.
// Run through vite-node (it is TypeScript): prints one JSON line {endpoint, bucket, region,
// accessKeyId, secretAccessKey, directory} on stdout and serves until its stdin closes (the
// bench ends or dies), then removes its files. vite-node's own SIGTERM handler exits without
// our clean-up, hence stdin.
import { startS3 } from '../../test/services/s3.ts';

const s3 = await startS3();
const { stop: _stop, ...info } = s3;
process.stdout.write(`${JSON.stringify(info)}\n`);
let stopping = false;
const done = () => {
  if (stopping) return;
  stopping = true;
  s3.stop().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`s3-process: stopping failed: ${e}\n`);
      process.exit(1);
    },
  );
};
process.stdin.on('end', done);
process.stdin.on('close', done);
process.stdin.resume();
