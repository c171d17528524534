/**
 * Users and roles (route /admin/users, org-admin and admin): the organisation's users with
 * their role (changed in place: PATCH /api/users/:id, recorded in the audit log) and a form
 * to add a user. The installation admin sees every organisation's users and names the
 * organisation when adding one.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useSession } from '../session.js';
import { AdminFrame } from '../admin/AdminFrame.js';
import { changeRole, createUser, listUsers, ORG_ROLES, type AdminUser } from '../admin/api.js';

export function AdminUsersPage() {
  return (
    <AdminFrame title="Users and roles">
      <UsersBody />
    </AdminFrame>
  );
}

function UsersBody() {
  const { me } = useSession();
  const [users, setUsers] = useState<AdminUser[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [said, setSaid] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    listUsers().then(setUsers, (e: Error) => setError(e.message));
  }, [tick]);

  async function setRole(u: AdminUser, role: string) {
    setError(null);
    setSaid(null);
    try {
      await changeRole(u.id, role);
      setSaid(`${u.email} is now ${role}.`);
    } catch (e) {
      setError(`${u.email} keeps the role ${u.role}: ${(e as Error).message}`);
    }
    reload();
  }

  return (
    <>
      <NewUserForm
        orgId={me.orgId}
        onCreated={(email, role) => {
          setSaid(`Added ${email} as ${role}.`);
          reload();
        }}
      />
      {error && <p role="alert">{error}</p>}
      <p role="status" data-testid="users-said">
        {said}
      </p>
      {!users ? (
        <p aria-busy="true">Loading…</p>
      ) : (
        <table className="admin-table" data-testid="users-table">
          <caption>{users.length} users</caption>
          <thead>
            <tr>
              <th scope="col">E-mail</th>
              <th scope="col">Role</th>
              {me.role === 'admin' && <th scope="col">Organisation</th>}
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id} data-testid="user-row" data-email={u.email}>
                <td>{u.email}</td>
                <td>
                  {u.role === 'admin' || u.id === me.id ? (
                    <span>{u.role}{u.id === me.id ? ' (you)' : ''}</span>
                  ) : (
                    <select aria-label={`Role of ${u.email}`} value={u.role} data-testid="user-role" onChange={(e) => void setRole(u, e.target.value)}>
                      {ORG_ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  )}
                </td>
                {me.role === 'admin' && <td className="mono">{u.orgId ?? '—'}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function NewUserForm({ orgId, onCreated }: { orgId: string | null; onCreated: (email: string, role: string) => void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<string>('requester');
  const [password, setPassword] = useState('');
  const [org, setOrg] = useState(orgId ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await createUser(org.trim(), { email: email.trim(), role, ...(password ? { password } : {}) });
      onCreated(email.trim(), role);
      setEmail('');
      setPassword('');
    } catch (err) {
      setError(`The user was not added: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="admin-form" onSubmit={submit} aria-label="Add a user">
      {orgId === null && (
        <label>
          Organisation id
          <input required value={org} onChange={(e) => setOrg(e.target.value)} data-testid="new-user-org" />
        </label>
      )}
      <label>
        E-mail
        <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} data-testid="new-user-email" />
      </label>
      <label>
        Role
        <select value={role} onChange={(e) => setRole(e.target.value)} data-testid="new-user-role">
          {ORG_ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <label>
        Password (optional, 12 characters or more)
        <input type="password" minLength={12} autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} data-testid="new-user-password" />
      </label>
      <button type="submit" className="primary" disabled={busy} data-testid="new-user-submit">
        Add user
      </button>
      {error && <p role="alert">{error}</p>}
    </form>
  );
}
