/** Printers and materials (route /admin/printers, org-admin): the organisation's catalogue, versioned, editable (issue 12). */
export function PrintCataloguePage() {
  return <main className="page"><h1>PrintCatalogue</h1></main>;
}
