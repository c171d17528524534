import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The libraries whose versions go into every report (ISO/IEC 3532-1: software and versions). */
const KEY_LIBRARIES = [
  'dicom-parser',
  'dcmjs-codecs',
  '@cornerstonejs/codec-openjpeg',
  '@cornerstonejs/codec-charls',
  '@cornerstonejs/codec-libjpeg-turbo-8bit',
  '@cornerstonejs/codec-openjph',
  'jpeg-lossless-decoder-js',
  'fflate',
  'manifold-3d',
  'meshoptimizer',
  'zod',
];

export function libraryVersions(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const out: Record<string, string> = { node: process.versions.node };
  for (const name of KEY_LIBRARIES) {
    try {
      const main = require.resolve(name);
      // walk up from the entry point to the package's own package.json
      let dir = main;
      for (let i = 0; i < 6; i++) {
        dir = dir.slice(0, dir.lastIndexOf('/'));
        try {
          const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { name?: string; version?: string };
          if (pkg.name === name && pkg.version) {
            out[name] = pkg.version;
            break;
          }
        } catch {
          /* not here */
        }
      }
    } catch {
      // ESM-only packages (manifold-3d) export no CommonJS entry: look for their package.json
      out[name] = installedVersion(name) ?? 'not installed';
    }
  }
  return out;
}

/** The version in node_modules/<name>/package.json, searched upwards from this file. */
function installedVersion(name: string): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string };
      if (pkg.version) return pkg.version;
    } catch {
      /* not here */
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}
