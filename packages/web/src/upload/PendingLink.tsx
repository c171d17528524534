/**
 * On a case with no files: when this browser holds the user's unfinished upload of this very
 * case (pending-store.ts), a link to resume it on New case. An upload left by navigating away
 * was otherwise only findable from New case, and the case said "upload the CT series first"
 * with no way to do so.
 */
import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import { useSession } from '../session.js';
import { loadPending } from './pending-store.js';

export function PendingLink({ caseId }: { caseId: string }) {
  const { me } = useSession();
  const [here, setHere] = useState(false);
  useEffect(() => {
    let live = true;
    loadPending(me.id).then(
      (p) => live && setHere(p?.caseId === caseId),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [me.id, caseId]);
  if (!here) return null;
  return (
    <p data-testid="case-pending-upload">
      This browser holds an unfinished upload of this case. <Link href="/cases/new">Resume it on the New case page</Link>.
    </p>
  );
}
