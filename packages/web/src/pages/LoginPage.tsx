import { useState, type FormEvent } from 'react';
import { currentUser, login, type Me } from '../api/client.js';

export function LoginPage({ onLogin }: { onLogin: (me: Me) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(email, password);
      const me = await currentUser();
      if (me) onLogin(me);
      else setError('logged in, but the session was not kept: are cookies allowed for this site?');
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="page login">
      <h1>scan2print</h1>
      <form onSubmit={submit} aria-label="Log in">
        <label>
          E-mail
          <input data-testid="login-email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Password
          <input data-testid="login-password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <button data-testid="login-submit" type="submit" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
        {error && <p role="alert" className="error">{error}</p>}
      </form>
    </main>
  );
}
