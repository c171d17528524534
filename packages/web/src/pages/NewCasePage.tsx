export function NewCasePage() {
  return <main className="page"><h1>NewCasePage</h1></main>;
}
