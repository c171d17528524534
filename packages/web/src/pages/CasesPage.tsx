export function CasesPage() {
  return <main className="page"><h1>CasesPage</h1></main>;
}
