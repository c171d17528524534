/**
 * The catalogue values the editor shows and edits, by field name: how each reads as text,
 * how typed text parses back (or why it does not), and where it sits in the document. Every
 * value is `{value, source}` (core's Sourced), money also has a currency. Pure functions: the
 * page keeps a draft catalogue and replaces one item at a time.
 */
import type { FieldIssue, PrintCatalogue } from './types.js';

export type FieldKind = 'number' | 'range' | 'triple' | 'money' | 'boolean' | 'list';

export interface FieldDef {
  key: string;
  label: string;
  kind: FieldKind;
  unit?: string;
  /** May the value be empty (null: "not known", the quote says it is missing)? */
  nullable: boolean;
  /**
   * false: shown only where the catalogue has it (core's schema does not take it yet, so the
   * editor does not add it to an item that lacks it).
   */
  addable?: boolean;
}

export type Section = 'printers' | 'materials';

export const PRINTER_FIELDS: readonly FieldDef[] = [
  { key: 'buildVolume_mm', label: 'Build volume', kind: 'triple', unit: 'mm', nullable: false },
  { key: 'layerHeight_mm', label: 'Layer height', kind: 'range', unit: 'mm', nullable: true },
  { key: 'minFeature_mm', label: 'Minimum feature', kind: 'number', unit: 'mm', nullable: false },
  { key: 'nozzle_mm', label: 'Nozzle', kind: 'number', unit: 'mm', nullable: true },
  { key: 'machineRate_per_h', label: 'Machine hourly rate', kind: 'money', unit: 'per h', nullable: true },
  { key: 'setup', label: 'Set-up cost per job', kind: 'money', nullable: true },
];

export const MATERIAL_FIELDS: readonly FieldDef[] = [
  { key: 'density_g_cm3', label: 'Density', kind: 'number', unit: 'g/cm³', nullable: true },
  { key: 'pricePerKg', label: 'Price per kg', kind: 'money', unit: 'per kg', nullable: true },
  { key: 'colours', label: 'Colours', kind: 'list', nullable: true, addable: false },
  { key: 'biocompatible', label: 'Biocompatible', kind: 'boolean', nullable: true },
  { key: 'sterilisable', label: 'Sterilisable', kind: 'boolean', nullable: true },
];

export const fieldsOf = (s: Section): readonly FieldDef[] => (s === 'printers' ? PRINTER_FIELDS : MATERIAL_FIELDS);

/** The fields to show for these items: every addable one, the others where some item has them. */
export function shownFields(s: Section, items: readonly Record<string, unknown>[]): FieldDef[] {
  return fieldsOf(s).filter((f) => f.addable !== false || items.some((i) => sourcedOf(i, f.key) !== null));
}

/** A Sourced value as the document holds it (money has a currency too). */
export interface SourcedJson {
  value: unknown;
  source: string;
  currency?: string | null;
}

/** The text an editor shows for one field: the value, its currency (money) and its source. */
export interface FieldText {
  value: string;
  currency: string;
  source: string;
}

type Item = Record<string, unknown> & { id: string; name: string };

export function itemsOf(c: PrintCatalogue, s: Section): Item[] {
  return c[s] as unknown as Item[];
}

/** The field's {value, source} in an item, or null when this catalogue does not have it. */
export function sourcedOf(item: Record<string, unknown>, key: string): SourcedJson | null {
  const v = item[key];
  if (v && typeof v === 'object' && !Array.isArray(v) && 'source' in v) return v as SourcedJson;
  return null;
}

const num = (n: number): string => String(Math.round(n * 1e6) / 1e6);

/** The value in words for the tables ("250 × 210 × 220 mm", "0.05–0.3 mm", "45 EUR per h", "not set"). */
export function valueText(f: FieldDef, s: SourcedJson | null): string {
  if (!s) return 'not in this catalogue';
  const v = s.value;
  if (v === null || v === undefined) return 'not set';
  const unit = f.unit && f.kind !== 'money' ? ` ${f.unit}` : '';
  switch (f.kind) {
    case 'triple':
      return Array.isArray(v) ? `${v.map((x) => num(Number(x))).join(' × ')}${unit}` : String(v);
    case 'range':
      return Array.isArray(v) ? `${num(Number(v[0]))}–${num(Number(v[1]))}${unit}` : String(v);
    case 'number':
      return `${num(Number(v))}${unit}`;
    case 'money':
      return `${num(Number(v))} ${s.currency ?? '(no currency)'}${f.unit ? ` ${f.unit}` : ''}`;
    case 'boolean':
      return v === true ? 'yes' : 'no';
    case 'list':
      return Array.isArray(v) ? (v.length ? v.join(', ') : 'none') : String(v);
  }
}

/** The editor's text for a field (empty value: null). */
export function toText(f: FieldDef, s: SourcedJson | null): FieldText {
  const v = s?.value;
  let value = '';
  if (v !== null && v !== undefined) {
    if (f.kind === 'triple') value = (v as number[]).map(num).join(' x ');
    else if (f.kind === 'range') value = (v as number[]).map(num).join(' - ');
    else if (f.kind === 'boolean') value = v === true ? 'yes' : 'no';
    else if (f.kind === 'list') value = (v as string[]).join(', ');
    else value = num(Number(v));
  }
  return { value, currency: s?.currency ?? '', source: s?.source ?? '' };
}

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

function numbers(text: string, n: number, what: string): Parsed {
  const parts = text.split(/\s*(?:x|×|-|–|,|\s)\s*/i).filter((p) => p !== '');
  if (parts.length !== n) return { ok: false, error: `give ${n} numbers (${what})` };
  const v = parts.map(Number);
  if (v.some((x) => !Number.isFinite(x) || x <= 0)) return { ok: false, error: `every number must be greater than 0 (${what})` };
  return { ok: true, value: v };
}

/** Typed text back to a value: a number must be a number ≥ 0, a range min ≤ max, and so on. */
export function parseValue(f: FieldDef, text: string): Parsed {
  const t = text.trim();
  if (t === '') return f.nullable ? { ok: true, value: null } : { ok: false, error: 'a value is required' };
  switch (f.kind) {
    case 'number':
    case 'money': {
      const n = Number(t.replace(',', '.'));
      if (!Number.isFinite(n) || n < 0) return { ok: false, error: 'not a number of 0 or more' };
      if (f.kind === 'number' && n === 0) return { ok: false, error: 'must be greater than 0' };
      return { ok: true, value: n };
    }
    case 'triple':
      return numbers(t, 3, 'width x depth x height');
    case 'range': {
      const r = numbers(t, 2, 'finest - coarsest');
      if (r.ok && (r.value as number[])[0]! > (r.value as number[])[1]!) return { ok: false, error: 'the finest comes first (finest - coarsest)' };
      return r;
    }
    case 'boolean':
      if (/^(yes|true)$/i.test(t)) return { ok: true, value: true };
      if (/^(no|false)$/i.test(t)) return { ok: true, value: false };
      return { ok: false, error: 'yes, no or empty (not known)' };
    case 'list':
      return { ok: true, value: t.split(',').map((x) => x.trim()).filter(Boolean) };
  }
}

/**
 * The item with the edited fields, or the errors per field key. A field this catalogue lacks
 * and that stays empty is not added; money keeps a currency (required once there is a value).
 */
export function applyEdit(item: Item, fields: readonly FieldDef[], edits: Record<string, FieldText>): { item: Item } | { errors: Record<string, string> } {
  const out: Item = { ...item };
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const e = edits[f.key];
    if (!e) continue;
    const had = sourcedOf(item, f.key);
    if (!had && e.value.trim() === '' && e.source.trim() === '') continue;
    const p = parseValue(f, e.value);
    if (!p.ok) {
      errors[f.key] = p.error;
      continue;
    }
    const source = e.source.trim();
    if (!source) {
      errors[f.key] = 'say where the value comes from (a data sheet, a supplier quote, a measurement)';
      continue;
    }
    const next: SourcedJson = { value: p.value, source };
    if (f.kind === 'money') {
      const currency = e.currency.trim().toUpperCase();
      if (p.value !== null && !/^[A-Z]{3}$/.test(currency)) {
        errors[f.key] = 'a currency code of three letters (EUR, CHF, USD…)';
        continue;
      }
      next.currency = currency || null;
    }
    // An unchanged value keeps the item's own object (and its key order).
    if (!sameJson(had, next)) out[f.key] = next;
  }
  return Object.keys(errors).length ? { errors } : { item: out };
}

/** The catalogue with one item replaced (same place in its list). */
export function replaceItem(c: PrintCatalogue, s: Section, item: Item): PrintCatalogue {
  const list = itemsOf(c, s).map((x) => (x.id === item.id ? item : x));
  return { ...c, [s]: list } as PrintCatalogue;
}

/** JSON with object keys sorted: the server's jsonb does not keep key order. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  return v;
}

/** Same value, whatever the key order (an absent key and an undefined one are the same). */
export const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

export interface Change {
  section: Section;
  id: string;
  name: string;
  field: string;
  from: string;
  to: string;
}

/** What the draft changes against the loaded version, field by field, in words. */
export function changesBetween(base: PrintCatalogue, draft: PrintCatalogue): Change[] {
  const out: Change[] = [];
  for (const s of ['printers', 'materials'] as const) {
    const before = new Map(itemsOf(base, s).map((x) => [x.id, x]));
    for (const item of itemsOf(draft, s)) {
      const old = before.get(item.id);
      if (!old) continue;
      for (const f of fieldsOf(s)) {
        const a = sourcedOf(old, f.key);
        const b = sourcedOf(item, f.key);
        if (sameJson(a, b)) continue;
        const words = (x: SourcedJson | null) => (x ? `${valueText(f, x)} (source: ${x.source})` : 'not in this catalogue');
        out.push({ section: s, id: item.id, name: item.name, field: f.label, from: words(a), to: words(b) });
      }
    }
  }
  return out;
}

/**
 * A 400's issues as the editor shows them: the item's name and the field's label where the
 * path names them ("Original Prusa MK4, Machine hourly rate: expected a number").
 */
export function describeIssue(c: PrintCatalogue, issue: FieldIssue): string {
  const path = issue.path[0] === 'catalogue' ? issue.path.slice(1) : issue.path;
  const [s, i, key] = path;
  if ((s === 'printers' || s === 'materials') && typeof i === 'number') {
    const item = itemsOf(c, s)[i];
    const f = fieldsOf(s).find((x) => x.key === key);
    const rest = path.slice(3).join('.');
    return `${item?.name ?? `${s} ${i + 1}`}, ${f?.label ?? String(key ?? '')}${rest && rest !== 'value' ? ` (${rest})` : ''}: ${issue.message}`;
  }
  return `${path.join('.') || 'catalogue'}: ${issue.message}`;
}

/**
 * Field issues from a 400 body: `issues` as zod writes them ({path, message}), or as Fastify
 * does ({instancePath: '/catalogue/printers/0/...'}), else the message split on '; ' with a
 * leading dotted path ("printers.0.minFeature_mm.value: …" or "printers[0]…").
 */
export function issuesOf(body: unknown): FieldIssue[] {
  const e = (body as { error?: { message?: unknown; issues?: unknown } } | null)?.error;
  const out: FieldIssue[] = [];
  const toPath = (p: string): (string | number)[] =>
    p
      .replace(/\[(\d+)\]/g, '.$1')
      .split(/[./]/)
      .filter(Boolean)
      .map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  if (Array.isArray(e?.issues)) {
    for (const raw of e.issues as Array<Record<string, unknown>>) {
      const message = typeof raw.message === 'string' ? raw.message : 'invalid';
      if (Array.isArray(raw.path)) out.push({ path: raw.path as (string | number)[], message });
      else if (typeof raw.path === 'string') out.push({ path: toPath(raw.path), message });
      else if (typeof raw.instancePath === 'string') out.push({ path: toPath(raw.instancePath), message });
      else out.push({ path: [], message });
    }
    if (out.length) return out;
  }
  if (typeof e?.message === 'string') {
    for (const part of e.message.split(/;\s+/)) {
      const m = /((?:catalogue\.)?(?:printers|materials)(?:\[\d+\]|\.\d+)[\w.[\]]*)\s*:?\s*(.*)$/.exec(part);
      if (m) out.push({ path: toPath(m[1]!), message: m[2] || part });
    }
  }
  return out;
}
