/**
 * Organisation settings (route /admin/settings, org-admin and admin): the organisation's name
 * and whether the server anonymises uploads (PATCH /api/orgs/:orgId; recorded in the audit
 * log). The installation admin, who belongs to no organisation, names one first.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { useSession } from '../session.js';
import { AdminFrame } from '../admin/AdminFrame.js';
import { getOrg, patchOrg, type OrgSettings } from '../admin/api.js';

export function AdminSettingsPage() {
  return (
    <AdminFrame title="Organisation settings">
      <SettingsBody />
    </AdminFrame>
  );
}

function SettingsBody() {
  const { me } = useSession();
  const [orgId, setOrgId] = useState(me.orgId ?? '');
  const [org, setOrg] = useState<OrgSettings | null>(null);
  const [serverAnonymise, setServerAnonymise] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [said, setSaid] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!/^[0-9a-f-]{36}$/i.test(orgId)) return;
    getOrg(orgId).then(
      (o) => {
        setOrg(o);
        setServerAnonymise(o.serverAnonymise);
        setError(null);
      },
      (e: Error) => setError(e.message),
    );
  }, [orgId]);

  async function save(e: FormEvent) {
    e.preventDefault();
    if (!org) return;
    setBusy(true);
    setError(null);
    setSaid(null);
    try {
      await patchOrg(org.id, { serverAnonymise });
      setOrg({ ...org, serverAnonymise });
      setSaid('Saved.');
    } catch (err) {
      setError(`Not saved: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      {me.orgId === null && (
        <label>
          Organisation id
          <input value={orgId} onChange={(e) => setOrgId(e.target.value.trim())} data-testid="settings-org" />
        </label>
      )}
      {error && <p role="alert">{error}</p>}
      {org && (
        <form className="admin-form" onSubmit={save} aria-label="Organisation settings">
          <p>
            Organisation: <strong data-testid="settings-name">{org.name}</strong> <span className="hint mono">{org.id}</span>
          </p>
          <label className="check">
            <input type="checkbox" checked={serverAnonymise} onChange={(e) => setServerAnonymise(e.target.checked)} data-testid="settings-server-anonymise" />
            The server anonymises uploads (for sites whose browsers cannot; otherwise only anonymised files may arrive)
          </label>
          <button type="submit" className="primary" disabled={busy || serverAnonymise === org.serverAnonymise} data-testid="settings-save">
            Save
          </button>
        </form>
      )}
      <p role="status" data-testid="settings-said">
        {said}
      </p>
    </>
  );
}
