/**
 * The 3D panel as a page of its own (for a route such as /cases/:id/model, and for the
 * browser spec, which mounts it without the review page).
 */
import { ModelPanel } from './ModelPanel.js';

export function ModelRoute({ caseId }: { caseId: string }) {
  return (
    <main className="page">
      <h1>Case model</h1>
      <ModelPanel caseId={caseId} />
    </main>
  );
}
