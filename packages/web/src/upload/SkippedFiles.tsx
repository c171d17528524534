import type { Parsed } from './use-prepare.js';

/** The files left out of a drop, by name, so the user can see what was not read and why. */
export function SkippedFiles({ parsed }: { parsed: Parsed }) {
  const more = parsed.notDicom + parsed.unreadable - parsed.skipped.length;
  return (
    <div className="hint" data-testid="upload-skipped">
      <p>Left out:</p>
      <ul>
        {parsed.skipped.map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ul>
      {more > 0 && <p>… and {more} more.</p>}
    </div>
  );
}
