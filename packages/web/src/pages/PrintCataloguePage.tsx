/**
 * Printers and materials (route /admin/printers, org-admin): the organisation's catalogue,
 * versioned (issue 12). Every value shows its source; the org-admin edits items into a draft
 * and saves the draft as one new version (PUT /api/print/catalogue with the version it was
 * based on). A newer version saved meanwhile (409) or invalid values (400, by field) are said
 * in words and the draft is kept. The version history lists who saved each version and when.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useSession } from '../session.js';
import { AdminFrame } from '../admin/AdminFrame.js';
import { formatTime } from '../cases/format.js';
import { CatalogueSaveError, getCatalogue, listCatalogueVersions, saveCatalogue } from '../print/api.js';
import { changesBetween, describeIssue, itemsOf, replaceItem, type Section } from '../print/catalogue-fields.js';
import { canEditCatalogue } from '../print/format.js';
import { CatalogueTable } from '../print/CatalogueTable.js';
import { ItemEditor } from '../print/ItemEditor.js';
import type { CatalogueVersion, CatalogueVersionInfo, FieldIssue, PrintCatalogue } from '../print/types.js';
import '../print/print.css';

export function PrintCataloguePage() {
  return (
    <AdminFrame title="Printers and materials">
      <CatalogueBody />
    </AdminFrame>
  );
}

/** Versions the organisation saved (the list may also name version 0, the shipped catalogue). */
const savedCount = (v: CatalogueVersionInfo[]) => v.filter((x) => x.version > 0).length;

interface SaveProblem {
  kind: 'stale' | 'invalid' | 'other';
  message: string;
  issues: FieldIssue[];
}

function CatalogueBody() {
  const { me } = useSession();
  const editable = canEditCatalogue(me.role);
  const [base, setBase] = useState<CatalogueVersion | null>(null);
  const [draft, setDraft] = useState<PrintCatalogue | null>(null);
  const [versions, setVersions] = useState<CatalogueVersionInfo[] | null>(null);
  const [editing, setEditing] = useState<{ section: Section; id: string } | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [problem, setProblem] = useState<SaveProblem | null>(null);
  const [said, setSaid] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  /** Loads the current version; `keepDraft` leaves the user's edits in place (after a 409). */
  const load = useCallback(async (keepDraft: boolean) => {
    try {
      const [c, v] = await Promise.all([getCatalogue(), listCatalogueVersions()]);
      setBase(c);
      if (!keepDraft) setDraft(c.catalogue);
      setVersions(v.versions);
      setLoadError(null);
    } catch (e) {
      setLoadError(`The catalogue could not be loaded: ${(e as Error).message}`);
    }
  }, []);
  useEffect(() => {
    void load(false);
  }, [load]);

  const changes = useMemo(() => (base && draft ? changesBetween(base.catalogue, draft) : []), [base, draft]);
  const changedIds = useMemo(() => new Set(changes.map((c) => c.id)), [changes]);

  async function save() {
    if (!base || !draft) return;
    setBusy(true);
    setProblem(null);
    setSaid(null);
    try {
      const saved = await saveCatalogue(draft, base.version);
      setBase(saved);
      setDraft(saved.catalogue);
      setEditing(null);
      setSaid(`Saved as version ${saved.version}.`);
      listCatalogueVersions().then((v) => setVersions(v.versions), () => undefined);
    } catch (e) {
      if (e instanceof CatalogueSaveError && e.status === 409) {
        const now = e.currentVersion !== null ? `version ${e.currentVersion}` : 'a newer version';
        setProblem({
          kind: 'stale',
          message: `Not saved: someone saved ${now} after you opened version ${base.version}. Load the current version (your changes below stay in the draft), check them, and save again.`,
          issues: [],
        });
      } else if (e instanceof CatalogueSaveError && e.status === 400) {
        setProblem({ kind: 'invalid', message: `Not saved: the server refused some values (${e.message}).`, issues: e.issues });
      } else setProblem({ kind: 'other', message: `Not saved: ${(e as Error).message}`, issues: [] });
    } finally {
      setBusy(false);
    }
  }

  /** After a 409: the current version becomes the base, the draft's edited items are put on it. */
  async function rebase() {
    if (!draft || !base) return;
    const mine = changes;
    const edited = { printers: itemsOf(draft, 'printers'), materials: itemsOf(draft, 'materials') };
    const c = await getCatalogue().catch((e: Error) => {
      setProblem({ kind: 'other', message: `The current version could not be loaded: ${e.message}`, issues: [] });
      return null;
    });
    if (!c) return;
    let next = c.catalogue;
    for (const ch of mine) {
      const item = edited[ch.section].find((x) => x.id === ch.id);
      if (item && itemsOf(next, ch.section).some((x) => x.id === ch.id)) next = replaceItem(next, ch.section, item);
    }
    setBase(c);
    setDraft(next);
    setProblem(null);
    setSaid(`Loaded version ${c.version}; your changes are applied to it, not saved yet.`);
    listCatalogueVersions().then((v) => setVersions(v.versions), () => undefined);
  }

  if (loadError) return <p role="alert">{loadError}</p>;
  if (!base || !draft) return <p aria-busy="true">Loading…</p>;

  const editItem = editing ? itemsOf(draft, editing.section).find((x) => x.id === editing.id) : undefined;
  const serverErrorsFor = (section: Section, id: string): Record<string, string> => {
    const out: Record<string, string> = {};
    const i = itemsOf(draft, section).findIndex((x) => x.id === id);
    for (const iss of problem?.issues ?? []) {
      const p = iss.path[0] === 'catalogue' ? iss.path.slice(1) : iss.path;
      if (p[0] === section && p[1] === i && typeof p[2] === 'string') out[p[2]] = iss.message;
    }
    return out;
  };

  return (
    <>
      <p data-testid="catalogue-version" data-version={base.version}>
        Version <strong>{base.version}</strong>
        {base.version === 0 ? ' (the catalogue shipped with scan2print: no prices; enter your own)' : ''}
        {base.updatedAt ? `, saved ${formatTime(base.updatedAt)}` : ''}
        {base.updatedBy ? ` by ${base.updatedBy}` : ''}.
      </p>
      {!editable && <p className="hint">Only an organisation admin edits the catalogue; you see it as it is.</p>}

      {problem && (
        <div role="alert" className={`print-problem print-problem-${problem.kind}`} data-testid="catalogue-problem" data-kind={problem.kind}>
          <p>{problem.message}</p>
          {problem.issues.length > 0 && (
            <ul data-testid="catalogue-issues">
              {problem.issues.map((iss, k) => (
                <li key={k}>{describeIssue(draft, iss)}</li>
              ))}
            </ul>
          )}
          {problem.kind === 'stale' && (
            <button type="button" onClick={() => void rebase()} data-testid="catalogue-rebase">
              Load the current version and keep my changes
            </button>
          )}
        </div>
      )}
      <p role="status" data-testid="catalogue-said">
        {said}
      </p>

      {editable && changes.length > 0 && (
        <section aria-labelledby="print-draft-h" className="print-draft" data-testid="catalogue-draft">
          <h2 id="print-draft-h">Changes not saved yet ({changes.length})</h2>
          <ul>
            {changes.map((c, k) => (
              <li key={k}>
                <strong>{c.name}</strong>, {c.field}: {c.from} → {c.to}
              </li>
            ))}
          </ul>
          <div className="print-actions">
            <button type="button" className="primary" disabled={busy} onClick={() => void save()} data-testid="catalogue-save">
              Save as a new version (after version {base.version})
            </button>
            <button
              type="button"
              disabled={busy}
              onClick={() => {
                setDraft(base.catalogue);
                setProblem(null);
                setEditing(null);
              }}
            >
              Discard the changes
            </button>
          </div>
        </section>
      )}

      {editing && editItem && (
        <ItemEditor
          key={`${editing.section}:${editing.id}`}
          section={editing.section}
          item={editItem}
          serverErrors={serverErrorsFor(editing.section, editing.id)}
          onApply={(item) => {
            setDraft(replaceItem(draft, editing.section, item));
            setEditing(null);
            setSaid(`${item.name}: changes are in the draft; save them as a new version.`);
          }}
          onCancel={() => setEditing(null)}
        />
      )}

      {(['printers', 'materials'] as const).map((s) => (
        <section key={s} aria-labelledby={`print-${s}-h`}>
          <h2 id={`print-${s}-h`}>{s === 'printers' ? 'Printers' : 'Materials'}</h2>
          <CatalogueTable catalogue={draft} section={s} changed={changedIds} editable={editable} onEdit={(id) => setEditing({ section: s, id })} />
        </section>
      ))}

      <section aria-labelledby="print-versions-h">
        <h2 id="print-versions-h">Version history</h2>
        {!versions ? (
          <p aria-busy="true">Loading…</p>
        ) : (
          <table className="admin-table" data-testid="catalogue-versions">
            <caption>{savedCount(versions) === 0 ? 'Only the shipped catalogue (version 0) so far.' : `${savedCount(versions)} saved ${savedCount(versions) === 1 ? 'version' : 'versions'} and the shipped one (0)`}</caption>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Saved</th>
                <th scope="col">By</th>
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr key={v.version} data-testid="catalogue-version-row" data-version={v.version} aria-current={v.version === base.version ? 'true' : undefined}>
                  <td>
                    {v.version}
                    {v.version === base.version ? ' (current)' : ''}
                  </td>
                  <td>{v.updatedAt ? formatTime(v.updatedAt) : v.version === 0 ? 'shipped with scan2print' : '—'}</td>
                  <td>{v.updatedBy ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
