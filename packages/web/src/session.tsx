/** Who is logged in, for every page: loaded once, cleared on logout or a 401. */
import { createContext, useContext } from 'react';
import type { Me } from './api/client.js';

export interface Session {
  me: Me;
  signOut: () => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a logged-in page');
  return s;
}
