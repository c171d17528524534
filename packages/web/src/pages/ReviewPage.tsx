export function ReviewPage({ caseId }: { caseId: string }) {
  return <main className="page"><h1>Case {caseId}</h1></main>;
}
