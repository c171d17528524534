/**
 * The form for one printer or material: each value with its source (and currency for money).
 * "Apply" puts the item into the draft catalogue (saved later as one new version); a value
 * that does not parse is named next to its input and nothing is applied.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { applyEdit, shownFields, sourcedOf, toText, type FieldText, type Section } from './catalogue-fields.js';

type Item = Record<string, unknown> & { id: string; name: string };

export interface ItemEditorProps {
  section: Section;
  item: Item;
  /** Field issues the server named for this item (from a 400), by field key. */
  serverErrors: Record<string, string>;
  onApply: (item: Item) => void;
  onCancel: () => void;
}

const HINTS: Record<string, string> = {
  triple: 'width x depth x height',
  range: 'finest - coarsest, or empty if not known',
  boolean: 'yes, no, or empty if not known',
  list: 'comma-separated',
};

export function ItemEditor({ section, item, serverErrors, onApply, onCancel }: ItemEditorProps) {
  const fields = shownFields(section, [item]);
  const [edits, setEdits] = useState<Record<string, FieldText>>(() => Object.fromEntries(fields.map((f) => [f.key, toText(f, sourcedOf(item, f.key))])));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [item.id]);

  const set = (key: string, part: keyof FieldText, v: string) => setEdits((e) => ({ ...e, [key]: { ...e[key]!, [part]: v } }));

  function submit(e: FormEvent) {
    e.preventDefault();
    const r = applyEdit(item, fields, edits);
    if ('errors' in r) setErrors(r.errors);
    else {
      setErrors({});
      onApply(r.item);
    }
  }

  const kind = section === 'printers' ? 'printer' : 'material';
  return (
    <form className="admin-form print-editor" onSubmit={submit} aria-labelledby="print-editor-h" data-testid="item-editor" data-id={item.id}>
      <h3 id="print-editor-h" tabIndex={-1} ref={heading}>
        Edit {kind} {item.name}
      </h3>
      {fields.map((f) => {
        const id = `pe-${f.key}`;
        const err = errors[f.key] ?? serverErrors[f.key];
        const had = sourcedOf(item, f.key) !== null;
        return (
          <fieldset key={f.key} className="print-field" data-field={f.key}>
            <legend>
              {f.label}
              {f.unit ? ` (${f.unit})` : ''}
              {!had && <span className="hint"> — not in this catalogue yet</span>}
            </legend>
            <label htmlFor={`${id}-value`}>
              Value{HINTS[f.kind] ? ` (${HINTS[f.kind]})` : ''}
              <input
                id={`${id}-value`}
                value={edits[f.key]!.value}
                onChange={(e) => set(f.key, 'value', e.target.value)}
                aria-invalid={err ? true : undefined}
                aria-describedby={err ? `${id}-err` : undefined}
                data-testid={`edit-${f.key}-value`}
                inputMode={f.kind === 'number' || f.kind === 'money' ? 'decimal' : undefined}
              />
            </label>
            {f.kind === 'money' && (
              <label htmlFor={`${id}-currency`}>
                Currency
                <input id={`${id}-currency`} size={4} maxLength={3} value={edits[f.key]!.currency} onChange={(e) => set(f.key, 'currency', e.target.value)} data-testid={`edit-${f.key}-currency`} />
              </label>
            )}
            <label htmlFor={`${id}-source`} className="print-source-input">
              Source
              <input id={`${id}-source`} value={edits[f.key]!.source} onChange={(e) => set(f.key, 'source', e.target.value)} data-testid={`edit-${f.key}-source`} />
            </label>
            {err && (
              <p id={`${id}-err`} className="error" data-testid={`edit-${f.key}-error`}>
                {err}
              </p>
            )}
          </fieldset>
        );
      })}
      {Object.keys(errors).length > 0 && (
        <p role="alert" data-testid="item-editor-errors">
          {Object.keys(errors).length === 1 ? 'One value needs' : `${Object.keys(errors).length} values need`} fixing before it can be applied.
        </p>
      )}
      <div className="print-actions">
        <button type="submit" className="primary" data-testid="item-apply">
          Apply to the draft
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
