/** The case page's print section: quote the approved model on a printer and material, queue it (issue 12). */
import type { WorkflowView } from '../workflow/types.js';

export function QuotePanel(_props: { caseId: string; role: string; workflow: WorkflowView | null }) {
  return null;
}
