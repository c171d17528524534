/**
 * The PACS destination picker, labelled, shared by the PACS page's search (PacsSearch.tsx)
 * and the case page's send panel (SendToPacsPanel.tsx): each option is a destination's id,
 * shown with its protocol and address (format.ts's destinationWords).
 */
import { destinationWords } from './format.js';
import type { PacsDestination } from './types.js';

export function DestinationSelect(props: { label: string; destinations: PacsDestination[]; value: string; onChange: (id: string) => void; testId: string }) {
  return (
    <label>
      {props.label}
      <select value={props.value} onChange={(e) => props.onChange(e.target.value)} data-testid={props.testId}>
        {props.destinations.map((d) => (
          <option key={d.id} value={d.id}>
            {destinationWords(d)}
          </option>
        ))}
      </select>
    </label>
  );
}
