/** The admin pages' frame: a heading, the admin sub-navigation, and a refusal for other roles. */
import type { ReactNode } from 'react';
import { Link, useRoute } from 'wouter';
import { useSession } from '../session.js';
import { canAdminister } from './api.js';
import './admin.css';

function Tab({ href, children }: { href: string; children: ReactNode }) {
  const [here] = useRoute(href);
  return (
    <Link href={href} aria-current={here ? 'page' : undefined}>
      {children}
    </Link>
  );
}

export function AdminFrame({ title, children }: { title: string; children: ReactNode }) {
  const { me } = useSession();
  return (
    <main className="page admin-page">
      <h1>{title}</h1>
      <nav aria-label="Administration" className="admin-nav">
        <Tab href="/admin/users">Users and roles</Tab>
        <Tab href="/admin/settings">Organisation settings</Tab>
        <Tab href="/admin/audit">Audit log</Tab>
        <Tab href="/admin/printers">Printers and materials</Tab>
      </nav>
      {canAdminister(me.role) ? children : <p role="alert">Only an organisation admin or the installation admin can use this page (you are {me.role}).</p>}
    </main>
  );
}
