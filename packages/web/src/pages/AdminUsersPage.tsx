/**
 * Users and roles (route /admin/users, org-admin and admin): the organisation's users with
 * their role (changed in place: PATCH /api/users/:id, recorded in the audit log), a form
 * to add a user (without a password: a script account), Disable/Enable per user (a leaver:
 * their sessions and tokens stop at once), and each user's API tokens (admin/TokensPanel).
 * The installation admin sees every organisation's users and names the organisation when adding one.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useSession } from '../session.js';
import { AdminFrame } from '../admin/AdminFrame.js';
import { changeRole, createUser, listUsers, ORG_ROLES, setDisabled, type AdminUser } from '../admin/api.js';
import { TokensPanel } from '../admin/TokensPanel.js';

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
  const [tokensOf, setTokensOf] = useState<string | null>(null);

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

  async function setAccount(u: AdminUser, disabled: boolean) {
    setError(null);
    setSaid(null);
    try {
      await setDisabled(u.id, disabled);
      setSaid(disabled ? `${u.email} is disabled: their sessions and tokens no longer work.` : `${u.email} is enabled again.`);
    } catch (e) {
      setError(`${u.email} was not ${disabled ? 'disabled' : 'enabled'}: ${(e as Error).message}`);
    }
    reload();
  }

  const shown = users?.find((u) => u.id === tokensOf) ?? null;
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
        // Wide on a phone: the table scrolls in its own box, reachable by keyboard.
        <div className="admin-scroll" tabIndex={0} role="region" aria-label="Users">
          <table className="admin-table" data-testid="users-table">
            <caption>{users.length} users</caption>
            <thead>
              <tr>
                <th scope="col">E-mail</th>
                <th scope="col">Role</th>
                {me.role === 'admin' && <th scope="col">Organisation</th>}
                <th scope="col">Account</th>
                <th scope="col">API tokens</th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <UserRow key={u.id} u={u} me={me} tokensOpen={tokensOf === u.id} onRole={setRole} onAccount={setAccount}
                  onTokens={() => setTokensOf((t) => (t === u.id ? null : u.id))} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {shown && <TokensPanel key={shown.id} me={me} user={shown} />}
    </>
  );
}

interface UserRowProps {
  u: AdminUser;
  me: { id: string; role: string };
  tokensOpen: boolean;
  onRole: (u: AdminUser, role: string) => Promise<void>;
  onAccount: (u: AdminUser, disabled: boolean) => Promise<void>;
  onTokens: () => void;
}

/** One user: role (one's own and the admin's not changed here), account state, tokens. */
function UserRow({ u, me, tokensOpen, onRole, onAccount, onTokens }: UserRowProps) {
  // The server refuses to disable oneself or the installation admin (OWN_ROLE, ADMIN_ROLE).
  const fixed = u.role === 'admin' || u.id === me.id;
  return (
    <tr data-testid="user-row" data-email={u.email} data-disabled={u.disabled ? 'true' : 'false'}>
      <td>
        {u.email}
        {u.passwordLogin === false ? <span className="hint"> (script account: no password)</span> : null}
      </td>
      <td>
        {fixed ? (
          <span>{u.role}{u.id === me.id ? ' (you)' : ''}</span>
        ) : (
          <select aria-label={`Role of ${u.email}`} value={u.role} data-testid="user-role" onChange={(e) => void onRole(u, e.target.value)}>
            {ORG_ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        )}
      </td>
      {me.role === 'admin' && <td className="mono">{u.orgId ?? '—'}</td>}
      <td className={u.disabled ? 'account-off' : undefined} data-testid="user-account">
        <div className="admin-row-actions">
          <span>{u.disabled ? 'disabled' : 'enabled'}</span>
          {!fixed && u.disabled !== undefined && (
            <button type="button" onClick={() => void onAccount(u, !u.disabled)} aria-label={`${u.disabled ? 'Enable' : 'Disable'} ${u.email}`} data-testid="user-toggle">
              {u.disabled ? 'Enable' : 'Disable'}
            </button>
          )}
        </div>
      </td>
      <td>
        <button type="button" onClick={onTokens} aria-expanded={tokensOpen} aria-label={`Tokens of ${u.email}`} data-testid="user-tokens">
          Tokens
        </button>
      </td>
    </tr>
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
