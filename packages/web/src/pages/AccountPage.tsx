/**
 * /account, for every role: who you are and your own API tokens (for scripts and the CLI:
 * `scan2print` with --token). A person makes their own tokens here; an org-admin makes a
 * script account's on the users page.
 */
import { useSession } from '../session.js';
import { TokensPanel } from '../admin/TokensPanel.js';
import '../admin/admin.css';

export function AccountPage() {
  const { me } = useSession();
  return (
    <main className="page admin-page">
      <h1>Your account</h1>
      <p data-testid="account-who">
        {me.email}, {me.role}.
      </p>
      <TokensPanel me={me} user={{ id: me.id, email: me.email }} />
    </main>
  );
}
