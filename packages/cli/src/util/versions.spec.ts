import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../../../test/data.js';
import { libraryVersions } from './versions.js';

describe('libraryVersions (the report\'s software list, ISO/IEC 3532-1)', () => {
  it('names the installed version of every key library, ESM-only packages included', () => {
    const v = libraryVersions();
    expect(v.node).toBe(process.versions.node);
    for (const [name, version] of Object.entries(v)) {
      if (name === 'node') continue;
      const pkg = JSON.parse(readFileSync(`${ROOT}/node_modules/${name}/package.json`, 'utf8')) as { version: string };
      expect(version, name).toBe(pkg.version);
    }
    expect(v['manifold-3d']).toMatch(/^\d+\.\d+\.\d+/);
  });
});
