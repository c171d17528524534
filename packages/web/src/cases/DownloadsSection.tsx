/** The approved (else the latest) model version's files: 3MF, STL, the report and the label map, and the way to the review page. */
import { Link } from 'wouter';
import { artifactUrl } from './api.js';
import { formatBytes } from './format.js';
import type { Downloads } from './downloads.js';
import type { Artifact } from '../api/types.js';

function Item({ a, what, testid }: { a: Artifact | undefined; what: string; testid: string }) {
  if (!a) return null;
  return (
    <li>
      <a className="button" href={artifactUrl(a.id)} download={a.name} data-testid={testid} title={`sha256 ${a.sha256}`}>
        {what} <span className="hint">({a.name}, {formatBytes(a.bytes)})</span>
      </a>
    </li>
  );
}

export function DownloadsSection({ caseId, d, version }: { caseId: string; d: Downloads | null; version: number | null }) {
  return (
    <section aria-labelledby="dl-h">
      <h2 id="dl-h">Model and downloads</h2>
      {!d ? (
        <p>No model yet: the files appear here when a conversion has succeeded.</p>
      ) : (
        <>
          <p data-testid="downloads-version">
            {d.approved ? 'Approved model' : 'Latest model'}
            {version ? ` (version ${version})` : ''}:
          </p>
          <ul className="downloads">
            <Item a={d.model3mf} what="Download 3MF" testid="download-model" />
            <Item a={d.modelStl} what="Download STL" testid="download-stl" />
            <Item a={d.reportHtml} what="Report (HTML)" testid="download-report" />
            <Item a={d.labels} what="Label map" testid="download-labels" />
          </ul>
        </>
      )}
      <p>
        <Link href={`/cases/${caseId}/review`} className="button primary" data-testid="open-review">
          Open review: slices and 3D
        </Link>
      </p>
    </section>
  );
}
