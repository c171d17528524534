import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A copy of the migrated database made by test/global-setup.ts into DATA/db (unless one is
 * there): no initdb (WASM, seconds of CPU) in this worker. Its own module, so a spec that runs
 * the server as a process (crash.spec) does not load the server to use it.
 */
export function seedEmbeddedDatabase(dataDir: string): void {
  const template = process.env.SCAN2PRINT_TEST_PGLITE_TEMPLATE;
  if (template && !existsSync(join(dataDir, 'db'))) cpSync(template, join(dataDir, 'db'), { recursive: true });
}
