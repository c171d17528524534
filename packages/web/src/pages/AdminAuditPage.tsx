/**
 * The audit log (route /admin/audit, org-admin: own organisation; admin: all): entries in
 * sequence order, 100 at a time, optionally one case's; and Verify, which asks the server to
 * check the hash chain and signatures and says "the chain holds (N entries)" or the first bad
 * entry and what is wrong with it.
 */
import { useCallback, useEffect, useState } from 'react';
import { AdminFrame } from '../admin/AdminFrame.js';
import { auditEntries, detailsLine, verifyAudit, verifyText, type AuditVerifyJson } from '../admin/api.js';
import { formatTime } from '../cases/format.js';
import type { AuditEntryJson } from '../workflow/types.js';

const PAGE = 100;

export function AdminAuditPage() {
  return (
    <AdminFrame title="Audit log">
      <AuditBody />
    </AdminFrame>
  );
}

function AuditBody() {
  const [caseId, setCaseId] = useState(() => new URLSearchParams(window.location.search).get('caseId') ?? '');
  const [entries, setEntries] = useState<AuditEntryJson[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [verify, setVerify] = useState<AuditVerifyJson | null>(null);
  const [verifying, setVerifying] = useState(false);

  const scope = /^[0-9a-f-]{36}$/i.test(caseId.trim()) ? caseId.trim() : undefined;

  const load = useCallback(
    (afterSeq?: number) => {
      auditEntries({ ...(scope ? { caseId: scope } : {}), ...(afterSeq !== undefined ? { afterSeq } : {}), limit: PAGE }).then(
        (r) => {
          setEntries((old) => (afterSeq !== undefined && old ? [...old, ...r.entries] : r.entries));
          setMore(r.entries.length === PAGE);
          setError(null);
        },
        (e: Error) => setError(e.message),
      );
    },
    [scope],
  );
  useEffect(() => {
    setVerify(null);
    load();
  }, [load]);

  async function runVerify() {
    setVerifying(true);
    setVerify(null);
    setError(null);
    try {
      setVerify(await verifyAudit(scope));
      // Show the entries as they are now (the check read them again too).
      load();
    } catch (e) {
      setError(`The check could not run: ${(e as Error).message}`);
    } finally {
      setVerifying(false);
    }
  }

  return (
    <>
      <form className="admin-form" role="search" aria-label="Audit log scope" onSubmit={(e) => e.preventDefault()}>
        <label>
          Case id (empty: all entries)
          <input value={caseId} onChange={(e) => setCaseId(e.target.value)} size={38} data-testid="audit-case" />
        </label>
        <button type="button" className="primary" onClick={() => void runVerify()} disabled={verifying} data-testid="audit-verify">
          {verifying ? 'Verifying…' : scope ? "Verify this case's chain" : 'Verify the chain'}
        </button>
      </form>
      <p role="status" data-testid="audit-verify-result" data-ok={verify ? String(verify.ok) : undefined} className={verify ? (verify.ok ? 'verify-ok' : 'verify-bad') : undefined}>
        {verify ? verifyText(verify) : ''}
      </p>
      {verify?.keys && verify.keys.length > 0 && <p className="hint">Signing keys: {verify.keys.map((k) => k.keyId).join(', ')}</p>}
      {error && <p role="alert">{error}</p>}
      {!entries ? (
        <p aria-busy="true">Loading…</p>
      ) : (
        <>
          {/* Wide on a phone: the table scrolls in its own box, reachable by keyboard. */}
          <div className="admin-scroll" tabIndex={0} role="region" aria-label="Audit entries">
            <table className="admin-table" data-testid="audit-table">
              <caption>
                {entries.length} entries{scope ? ' of this case' : ''}, oldest first
              </caption>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">Action</th>
                  <th scope="col">Case</th>
                  <th scope="col">Details</th>
                  <th scope="col">Hash</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <tr key={e.seq} data-testid="audit-row" data-seq={e.seq} data-action={e.action} className={verify?.firstBad?.seq === e.seq ? 'verify-bad' : undefined}>
                    <td>{e.seq}</td>
                    <td>{formatTime(e.at)}</td>
                    <td>{e.actor ? `${e.actor.email} (${e.actor.role})` : 'system'}</td>
                    <td>{e.action}</td>
                    <td className="mono">{e.caseId ? e.caseId.slice(0, 8) : '—'}</td>
                    <td className="details">{detailsLine(e.details)}</td>
                    <td className="mono" title={e.hash}>
                      {e.hash.slice(0, 12)}…
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {more && (
            <button type="button" onClick={() => load(entries[entries.length - 1]?.seq)} data-testid="audit-more">
              Load more
            </button>
          )}
        </>
      )}
    </>
  );
}
