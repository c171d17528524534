/**
 * One user's API tokens: who made each, when it expires, when it was last used, and a Revoke
 * button; a form to make one where the server allows it (one's own, or a script account's for
 * its org-admin), whose secret is shown once and then only its name and dates.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { formatTime } from '../cases/format.js';
import { listTokens, makeToken, mayMakeToken, revokeToken, TOKEN_DAYS, tokenState, type ApiToken, type MadeToken } from './tokens.js';

export interface TokensPanelProps {
  me: { id: string; role: string };
  user: { id: string; email: string; passwordLogin?: boolean };
}

export function TokensPanel({ me, user }: TokensPanelProps) {
  const own = user.id === me.id;
  const [tokens, setTokens] = useState<ApiToken[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [said, setSaid] = useState<string | null>(null);
  const [made, setMade] = useState<(MadeToken & { name: string }) | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    listTokens(user.id).then(setTokens, (e: Error) => setError(`The tokens could not be loaded: ${e.message}`));
  }, [user.id]);
  useEffect(load, [load]);

  async function revoke(t: ApiToken) {
    setBusy(true);
    setError(null);
    setSaid(null);
    try {
      await revokeToken(user.id, t.id);
      setSaid(`Revoked “${t.name}”: it no longer works.`);
      if (made?.id === t.id) setMade(null);
    } catch (e) {
      setError(`“${t.name}” was not revoked: ${(e as Error).message}`);
    } finally {
      setBusy(false);
      load();
    }
  }

  const whose = own ? 'Your API tokens' : `API tokens of ${user.email}`;
  const now = new Date();
  return (
    <section className="tokens" aria-labelledby={`tokens-h-${user.id}`} data-testid="tokens-panel" data-email={user.email}>
      <h2 id={`tokens-h-${user.id}`}>{whose}</h2>
      {made && (
        <div className="token-secret" role="status" data-testid="token-made">
          <p>
            Made “{made.name}”, valid until {formatTime(made.expiresAt)}. Copy the token now: it is not shown again.
          </p>
          <p>
            <code data-testid="token-secret">{made.token}</code>
          </p>
          <button type="button" onClick={() => setMade(null)} data-testid="token-secret-done">
            I have copied it
          </button>
        </div>
      )}
      {mayMakeToken(me, user) ? (
        <MakeTokenForm
          userId={user.id}
          onMade={(t) => {
            setMade(t);
            setSaid(null);
            load();
          }}
        />
      ) : (
        <p className="hint" data-testid="tokens-own-only">
          {user.email} logs in with a password: they make their own tokens (on their Account page). You can see and revoke them here.
        </p>
      )}
      {error && <p role="alert">{error}</p>}
      <p role="status" data-testid="tokens-said">
        {said}
      </p>
      {!tokens ? (
        <p aria-busy="true">Loading…</p>
      ) : tokens.length === 0 ? (
        <p data-testid="tokens-none">No tokens.</p>
      ) : (
        <div className="admin-scroll" tabIndex={0} role="region" aria-label={whose}>
          <table className="admin-table" data-testid="tokens-table">
            <caption>{tokens.length === 1 ? '1 token' : `${tokens.length} tokens`}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Made by</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => {
                const state = tokenState(t, now);
                return (
                  <tr key={t.id} data-testid="token-row" data-name={t.name} data-state={state}>
                    <td>{t.name}</td>
                    <td data-testid="token-maker">
                      {t.madeBy ? (t.madeBy.email ?? t.madeBy.id) : 'not recorded (older token)'}
                      {t.createdAt ? `, ${formatTime(t.createdAt)}` : ''}
                    </td>
                    <td data-testid="token-expires">{t.expiresAt ? formatTime(t.expiresAt) : 'never'}</td>
                    <td data-testid="token-used">{t.lastUsedAt ? formatTime(t.lastUsedAt) : 'never'}</td>
                    <td>
                      {state === 'active' ? (
                        <button type="button" disabled={busy} onClick={() => void revoke(t)} aria-label={`Revoke ${t.name}`} data-testid="token-revoke">
                          Revoke
                        </button>
                      ) : state === 'revoked' ? (
                        `revoked ${formatTime(t.revokedAt!)}`
                      ) : (
                        'expired'
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function MakeTokenForm({ userId, onMade }: { userId: string; onMade: (t: MadeToken & { name: string }) => void }) {
  const [name, setName] = useState('');
  const [days, setDays] = useState(String(TOKEN_DAYS.default));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const t = await makeToken(userId, name.trim(), Number(days));
      onMade({ ...t, name: name.trim() });
      setName('');
    } catch (err) {
      setError(`The token was not made: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="admin-form" onSubmit={submit} aria-label="Make a token">
      <label>
        Name (what uses it)
        <input required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} data-testid="token-name" />
      </label>
      <label>
        Valid for (days, at most {TOKEN_DAYS.max})
        <input type="number" required min={1} max={TOKEN_DAYS.max} step={1} value={days} onChange={(e) => setDays(e.target.value)} data-testid="token-days" />
      </label>
      <button type="submit" className="primary" disabled={busy || !name.trim()} data-testid="token-make">
        Make token
      </button>
      {error && <p role="alert">{error}</p>}
    </form>
  );
}
