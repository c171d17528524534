/**
 * What a printed label's QR code opens (route /q/:code, after sign-in): the case, the model
 * file and its SHA-256 (compare it with the file at hand), who approved it, and the signed
 * audit entry that issued the code, with the label downloads. Another organisation's code
 * reads as unknown.
 */
import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import { ApiError } from '../api/client.js';
import { formatBytes, formatTime, personName } from '../cases/format.js';
import { bundleUrl, labelUrl, lookupCode } from '../workflow/api.js';
import type { CodeLookup } from '../workflow/types.js';
import '../cases/cases.css';
import '../workflow/workflow.css';

export function QrPage({ code }: { code: string }) {
  const [r, setR] = useState<CodeLookup | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stale = false;
    lookupCode(code).then(
      (x) => !stale && setR(x),
      (e: Error) => !stale && setError(e instanceof ApiError && e.status === 404 ? `There is no model with code ${code} in your organisation.` : e.message),
    );
    return () => {
      stale = true;
    };
  }, [code]);

  return (
    <main className="page qr-page">
      <h1>
        Model code <span className="mono">{code}</span>
      </h1>
      {error && <p role="alert">{error}</p>}
      {!r && !error && <p aria-busy="true">Loading…</p>}
      {r && (
        <>
          <dl className="qr-facts" data-testid="qr-facts">
            <dt>Case</dt>
            <dd>
              <Link href={`/cases/${r.caseId}`} data-testid="qr-case">
                {r.caseId}
              </Link>
            </dd>
            <dt>Model file</dt>
            <dd>
              {r.model.name} ({formatBytes(r.model.bytes)})
            </dd>
            <dt>SHA-256</dt>
            <dd className="mono" data-testid="qr-sha256">
              {r.model.sha256}
            </dd>
            {r.approvedBy ? (
              <>
                <dt>Approved by</dt>
                <dd>{personName(r.approvedBy)}</dd>
              </>
            ) : null}
          </dl>
          <h2>Audit entry</h2>
          <dl className="qr-facts" data-testid="qr-audit" data-seq={r.auditEntry.seq}>
            <dt>Entry</dt>
            <dd>
              #{r.auditEntry.seq}, {r.auditEntry.action}, {formatTime(r.auditEntry.at)}
            </dd>
            <dt>By</dt>
            <dd>{r.auditEntry.actor ? `${r.auditEntry.actor.email} (${r.auditEntry.actor.role})` : 'the system'}</dd>
            <dt>Hash</dt>
            <dd className="mono">{r.auditEntry.hash}</dd>
            <dt>Previous hash</dt>
            <dd className="mono">{r.auditEntry.prevHash}</dd>
            <dt>Signed with key</dt>
            <dd className="mono">{r.auditEntry.keyId}</dd>
            <dt>Details</dt>
            <dd className="mono">{JSON.stringify(r.auditEntry.details)}</dd>
          </dl>
          <ul className="label-links">
            <li>
              <a className="button" href={labelUrl(r.caseId, r.modelVersionId, 'svg')} download data-testid="label-svg">
                Label (SVG)
              </a>
            </li>
            <li>
              <a className="button" href={labelUrl(r.caseId, r.modelVersionId, 'png')} download data-testid="label-png">
                Label (PNG)
              </a>
            </li>
            <li>
              <a className="button" href={bundleUrl(r.caseId)} download data-testid="download-bundle">
                Case bundle (zip)
              </a>
            </li>
          </ul>
        </>
      )}
    </main>
  );
}
