/** PACS (route /pacs): search the configured PACS by accession or date, pick a series, import it as a case (issue 15). */
export function PacsPage() {
  return <main className="page"><h1>Pacs</h1></main>;
}
