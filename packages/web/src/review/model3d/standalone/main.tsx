/**
 * Test mount of the 3D panel alone (test/browser/model3d.spec.ts builds this entry with
 * standalone/vite.config.ts and serves it on the real server's origin): the case comes from
 * ?case=<id>; the session is the one the app's login left in this tab.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ModelRoute } from '../ModelRoute.js';
import '../../../styles.css';

const caseId = new URLSearchParams(location.search).get('case') ?? '';
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ModelRoute caseId={caseId} />
  </StrictMode>,
);
