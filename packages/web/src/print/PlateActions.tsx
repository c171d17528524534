/**
 * The schedule's plate actions for a technician or org-admin: start a printer's next plate
 * (its jobs together: parts of one material share a plate), and say the plate printing there
 * is printed or failed. The server decides (a busy or down machine, a case whose gates are not
 * all signed) and its words are shown by the page.
 */
import { finishPlate, startPlate } from './api.js';
import type { PlateBar, TimelineRow } from './timeline.js';

export function PlateActions({ row, plate, busy, act }: { row: TimelineRow; plate: PlateBar; busy: boolean; act: (what: () => Promise<unknown>, done: string) => void }) {
  const printing = (p: PlateBar) => p.jobs.length > 0 && p.jobs.every((j) => j.status === 'printing');
  const name = row.printer.name;
  if (printing(plate)) {
    return (
      <>
        <button type="button" disabled={busy} onClick={() => act(() => finishPlate(row.printer.id, 'printed'), `The plate on ${name} is printed.`)} data-testid="plate-printed">
          Printed
        </button>{' '}
        <button type="button" disabled={busy} onClick={() => act(() => finishPlate(row.printer.id, 'failed'), `The plate on ${name} failed.`)} data-testid="plate-failed">
          Failed
        </button>
      </>
    );
  }
  // Only the machine's next plate, and only while nothing prints on it.
  if (row.plates[0] !== plate || row.plates.some(printing) || row.printer.status === 'down') return null;
  const ids = plate.jobs.map((j) => j.id);
  return (
    <button type="button" disabled={busy} onClick={() => act(() => startPlate(row.printer.id, ids), `Started the plate on ${name}.`)} data-testid="plate-start">
      Start on {name}
    </button>
  );
}
