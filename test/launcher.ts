/**
 * What packages/cli/bin/scan2print (the `scan2print` command's sh launcher) hands node, read from
 * the launcher itself, so the test processes run as the command does without a second copy of
 * its settings: glibc's tunables (test/global-setup.ts) and V8's flags (vitest.config.ts).
 */
import { readFileSync } from 'node:fs';

function launcherText(): string {
  return readFileSync(new URL('../packages/cli/bin/scan2print', import.meta.url), 'utf8');
}

function read(re: RegExp, what: string): RegExpExecArray {
  const m = re.exec(launcherText());
  if (!m) throw new Error(`packages/cli/bin/scan2print: no ${what} line to read the settings from`);
  return m;
}

/** The GLIBC_TUNABLES the launcher sets (its own settings, before a user's). */
export function launcherTunables(): string {
  return read(/^GLIBC_TUNABLES="([^"$]+)\$\{GLIBC_TUNABLES:\+:\$GLIBC_TUNABLES\}"$/m, 'GLIBC_TUNABLES="…${GLIBC_TUNABLES:+:$GLIBC_TUNABLES}"')[1]!;
}

/** The most cores at which the launcher passes its V8 flag (`[ "$cores" -gt N ] … && v8=`). */
export function launcherV8MaxCores(): number {
  return Number(read(/^\[ "\$cores" -gt (\d+) \] 2>\/dev\/null && v8=$/m, '[ "$cores" -gt N ] 2>/dev/null && v8=')[1]);
}

/** The V8 flags the launcher passes node on a machine of `cores` cores. */
export function launcherV8Flags(cores: number): string[] {
  const flag = read(/^v8=(--[\w-]+)$/m, 'v8=--flag')[1]!;
  return cores <= launcherV8MaxCores() ? [flag] : [];
}
