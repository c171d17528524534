/** Print schedule (route /print/schedule): printers, their availability and the planned jobs as a timeline (issue 12). */
export function PrintSchedulePage() {
  return <main className="page"><h1>PrintSchedule</h1></main>;
}
