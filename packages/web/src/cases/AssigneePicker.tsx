/** Who works on the case: a select of the organisation's users (PUT /api/cases/:id/assignee). */
import { useState } from 'react';
import { setAssignee } from './api.js';
import { personName } from './format.js';
import type { OrgUser, Person } from './types.js';

export function AssigneePicker(p: { caseId: string; assignee: Person | null | undefined; users: OrgUser[] | null; mayAssign: boolean; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!p.users || !p.mayAssign) return <span data-testid="assignee">{p.assignee ? personName(p.assignee) : 'nobody'}</span>;

  async function change(userId: string) {
    setBusy(true);
    setError(null);
    try {
      await setAssignee(p.caseId, userId || null);
      p.onChanged();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <select aria-label="Assigned to" value={p.assignee?.id ?? ''} disabled={busy} onChange={(e) => void change(e.target.value)} data-testid="assignee-select">
        <option value="">nobody</option>
        {p.users.map((u) => (
          <option key={u.id} value={u.id}>
            {u.email} ({u.role})
          </option>
        ))}
      </select>
      {error && <span role="alert"> Not changed: {error}</span>}
    </>
  );
}
