/** The case page's PACS section: send the model, segmentation and report back to a configured PACS (issue 15). */
export function SendToPacsPanel(_props: { caseId: string; role: string }) {
  return null;
}
