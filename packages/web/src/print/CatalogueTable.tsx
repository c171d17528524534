/** One section of the catalogue (printers or materials) as a table: each value with its source, an Edit button per row. */
import { itemsOf, shownFields, sourcedOf, valueText, type Section } from './catalogue-fields.js';
import type { PrintCatalogue } from './types.js';

export interface CatalogueTableProps {
  catalogue: PrintCatalogue;
  section: Section;
  /** Ids of items the draft changed (marked in the table). */
  changed: Set<string>;
  editable: boolean;
  onEdit: (id: string) => void;
}

export function CatalogueTable({ catalogue, section, changed, editable, onEdit }: CatalogueTableProps) {
  const items = itemsOf(catalogue, section);
  const fields = shownFields(section, items);
  const what = section === 'printers' ? 'Printers' : 'Materials';
  return (
    <div className="print-table-wrap">
      <table className="admin-table print-catalogue" data-testid={`catalogue-${section}`}>
        <caption>
          {what} ({items.length})
        </caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Technology</th>
            {section === 'printers' && <th scope="col">Materials</th>}
            {fields.map((f) => (
              <th scope="col" key={f.key}>
                {f.label}
              </th>
            ))}
            {editable && (
              <th scope="col">
                <span className="print-sr">Edit</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={item.id} data-testid="catalogue-row" data-id={item.id} className={changed.has(item.id) ? 'print-changed' : undefined}>
              <th scope="row">
                {item.name}
                <span className="hint mono"> {item.id}</span>
                {changed.has(item.id) && <span className="print-badge"> changed, not saved</span>}
              </th>
              <td>{String(item.technology ?? '')}</td>
              {section === 'printers' && <td>{Array.isArray(item.materials) ? (item.materials as string[]).join(', ') : ''}</td>}
              {fields.map((f) => {
                const s = sourcedOf(item, f.key);
                return (
                  <td key={f.key} data-field={f.key}>
                    <span className="print-value" data-testid={`value-${f.key}`}>
                      {valueText(f, s)}
                    </span>
                    {s?.source ? <span className="print-source">Source: {s.source}</span> : null}
                  </td>
                );
              })}
              {editable && (
                <td>
                  <button type="button" onClick={() => onEdit(item.id)} aria-label={`Edit ${item.name}`} data-testid="catalogue-edit">
                    Edit
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
