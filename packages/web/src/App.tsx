/**
 * The app's frame: login gate, header with navigation, and the pages. Each page is one
 * file under pages/ and owns its data loading. A deep link opened without a session (a
 * label's QR code: /q/<code>) goes to /login?next=<link> and back there after sign-in.
 */
import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { currentUser, logout, onSessionEnded, type Me } from './api/client.js';
import { canCreateCases } from './cases/format.js';
import { SessionContext } from './session.js';
import { LoginPage } from './pages/LoginPage.js';
import { CasesPage } from './pages/CasesPage.js';
import { NotificationBell } from './workflow/NotificationBell.js';
import { canAdminister } from './admin/api.js';
import { PageBoundary } from './PageBoundary.js';

/*
 * The other pages load on their first visit, each with what it alone uses (the viewers, the
 * browser-side DICOM parsing and anonymisation, the print planner). With every page in the
 * first script (2.4 MB; 251 kB without them), the login form showed after 1.2-1.7 s in a fresh
 * headless Chromium on the 2-core test machine; now after 0.5-0.8 s.
 */
const NewCasePage = lazy(() => import('./pages/NewCasePage.js').then((m) => ({ default: m.NewCasePage })));
const CasePage = lazy(() => import('./pages/CasePage.js').then((m) => ({ default: m.CasePage })));
const ReviewPage = lazy(() => import('./pages/ReviewPage.js').then((m) => ({ default: m.ReviewPage })));
const AdminUsersPage = lazy(() => import('./pages/AdminUsersPage.js').then((m) => ({ default: m.AdminUsersPage })));
const AdminSettingsPage = lazy(() => import('./pages/AdminSettingsPage.js').then((m) => ({ default: m.AdminSettingsPage })));
const AdminAuditPage = lazy(() => import('./pages/AdminAuditPage.js').then((m) => ({ default: m.AdminAuditPage })));
const QrPage = lazy(() => import('./pages/QrPage.js').then((m) => ({ default: m.QrPage })));
const PrintCataloguePage = lazy(() => import('./pages/PrintCataloguePage.js').then((m) => ({ default: m.PrintCataloguePage })));
const PrintSchedulePage = lazy(() => import('./pages/PrintSchedulePage.js').then((m) => ({ default: m.PrintSchedulePage })));
const PacsPage = lazy(() => import('./pages/PacsPage.js').then((m) => ({ default: m.PacsPage })));
const AccountPage = lazy(() => import('./pages/AccountPage.js').then((m) => ({ default: m.AccountPage })));

const LOADING = <main className="page" aria-busy="true"><p>Loading…</p></main>;

/** Where to go after sign-in: a same-origin path from ?next=, never another site. */
function nextPath(search: string): string {
  const n = new URLSearchParams(search).get('next');
  return n && n.startsWith('/') && !n.startsWith('//') && !n.startsWith('/login') ? n : '/';
}

export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [location] = useLocation();
  useEffect(() => {
    currentUser().then(setMe, (e: Error) => setError(e.message));
  }, []);
  // Logged out in another tab, or the session expired: back to the login (with ?next= this page).
  useEffect(() => onSessionEnded(() => setMe(null)), []);
  const signOut = useCallback(() => {
    void logout().finally(() => setMe(null));
  }, []);

  if (error) return <main className="page"><p role="alert">The server is not answering: {error}</p></main>;
  if (me === undefined) return LOADING;
  if (me === null) {
    if (location !== '/' && location !== '/login') {
      return <Redirect to={`/login?next=${encodeURIComponent(location + window.location.search)}`} replace />;
    }
    const next = nextPath(window.location.search);
    return (
      <>
        {next !== '/' && (
          <header className="top">
            <span>Sign in to open {next}</span>
          </header>
        )}
        <LoginPage onLogin={setMe} />
      </>
    );
  }
  return (
    <SessionContext.Provider value={{ me, signOut }}>
      <header className="top">
        <Link href="/" className="brand">scan2print</Link>
        <nav aria-label="Main">
          <Link href="/">Cases</Link>
          {canCreateCases(me.role) && <Link href="/cases/new">New case</Link>}
          <Link href="/print/schedule">Print schedule</Link>
          <Link href="/pacs">PACS</Link>
          <Link href="/account">Account</Link>
          {canAdminister(me.role) && (
            <>
              <Link href="/admin/users">Users</Link>
              <Link href="/admin/settings">Settings</Link>
              <Link href="/admin/audit">Audit log</Link>
              <Link href="/admin/printers">Printers</Link>
            </>
          )}
        </nav>
        <NotificationBell />
        <span className="who" data-testid="who">{me.email} ({me.role})</span>
        <button type="button" onClick={signOut}>Log out</button>
      </header>
      <PageBoundary at={location}>
        <Suspense fallback={LOADING}>
          <Switch>
            <Route path="/" component={CasesPage} />
            <Route path="/login">{() => <Redirect to={nextPath(window.location.search)} replace />}</Route>
            <Route path="/cases/new" component={NewCasePage} />
            <Route path="/cases/:id/review">{(p) => <ReviewPage caseId={p.id} />}</Route>
            <Route path="/cases/:id">{(p) => <CasePage caseId={p.id} />}</Route>
            <Route path="/admin/users" component={AdminUsersPage} />
            <Route path="/admin/settings" component={AdminSettingsPage} />
            <Route path="/admin/audit" component={AdminAuditPage} />
            <Route path="/admin/printers" component={PrintCataloguePage} />
            <Route path="/print/schedule" component={PrintSchedulePage} />
            <Route path="/pacs" component={PacsPage} />
            <Route path="/account" component={AccountPage} />
            <Route path="/q/:code">{(p) => <QrPage code={p.code} />}</Route>
            <Route><Redirect to="/" /></Route>
          </Switch>
        </Suspense>
      </PageBoundary>
    </SessionContext.Provider>
  );
}
