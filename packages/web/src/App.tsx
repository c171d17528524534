/**
 * The app's frame: login gate, header with navigation, and the pages. Each page is one
 * file under pages/ and owns its data loading.
 */
import { useCallback, useEffect, useState } from 'react';
import { Link, Redirect, Route, Switch } from 'wouter';
import { currentUser, logout, type Me } from './api/client.js';
import { SessionContext } from './session.js';
import { LoginPage } from './pages/LoginPage.js';
import { CasesPage } from './pages/CasesPage.js';
import { NewCasePage } from './pages/NewCasePage.js';
import { CasePage } from './pages/CasePage.js';
import { ReviewPage } from './pages/ReviewPage.js';

export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    currentUser().then(setMe, (e: Error) => setError(e.message));
  }, []);
  const signOut = useCallback(() => {
    void logout().finally(() => setMe(null));
  }, []);

  if (error) return <main className="page"><p role="alert">The server is not answering: {error}</p></main>;
  if (me === undefined) return <main className="page" aria-busy="true"><p>Loading…</p></main>;
  if (me === null) return <LoginPage onLogin={setMe} />;
  return (
    <SessionContext.Provider value={{ me, signOut }}>
      <header className="top">
        <Link href="/" className="brand">scan2print</Link>
        <nav aria-label="Main">
          <Link href="/">Cases</Link>
          <Link href="/cases/new">New case</Link>
        </nav>
        <span className="who" data-testid="who">{me.email} ({me.role})</span>
        <button type="button" onClick={signOut}>Log out</button>
      </header>
      <Switch>
        <Route path="/" component={CasesPage} />
        <Route path="/cases/new" component={NewCasePage} />
        <Route path="/cases/:id/review">{(p) => <ReviewPage caseId={p.id} />}</Route>
        <Route path="/cases/:id">{(p) => <CasePage caseId={p.id} />}</Route>
        <Route><Redirect to="/" /></Route>
      </Switch>
    </SessionContext.Provider>
  );
}
