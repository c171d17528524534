import { describe, expect, it } from 'vitest';
import { applyCaseEvent, DEFAULT_FILTERS, filterCases, filtersFromQuery, filtersToQuery, sortCases, type CaseFilters } from './filter.js';
import type { CaseRow } from './types.js';

const ME = 'me-id';
const row = (id: string, over: Partial<CaseRow> = {}): CaseRow => ({
  id,
  purpose: 'orbital floor plate',
  anatomy: 'skull',
  dueDate: null,
  notes: null,
  status: 'open',
  createdBy: 'other',
  createdAt: `2026-11-0${id.length}T10:00:00.000Z`,
  latestJob: null,
  assignee: null,
  files: 10,
  review: null,
  ...over,
});

const rows: CaseRow[] = [
  row('a', { dueDate: '2026-12-10', anatomy: 'mandible', assignee: { id: ME, email: 'eng@x.org' } }),
  row('bb', { dueDate: '2026-12-01', latestJob: { id: 'j', kind: 'convert', state: 'running', progress: 0.5, stage: 'surface', error: null } }),
  row('ccc', { createdBy: ME, latestJob: { id: 'k', kind: 'convert', state: 'failed', progress: 0.2, stage: null, error: 'NOT_HU' } }),
  row('dddd', { dueDate: '2026-12-05', status: 'approved', latestJob: { id: 'l', kind: 'convert', state: 'succeeded', progress: 1, stage: 'done', error: null } }),
];
const f = (over: Partial<CaseFilters>): CaseFilters => ({ ...DEFAULT_FILTERS, ...over });
const ids = (r: CaseRow[]) => r.map((x) => x.id);

describe('filterCases', () => {
  it('filters by status group, by whose, by words and by due date', () => {
    expect(ids(filterCases(rows, f({ status: 'active' }), ME))).toEqual(['bb']);
    expect(ids(filterCases(rows, f({ status: 'failed' }), ME))).toEqual(['ccc']);
    expect(ids(filterCases(rows, f({ status: 'approved' }), ME))).toEqual(['dddd']);
    expect(ids(filterCases(rows, f({ status: 'not-converted' }), ME))).toEqual(['a']);
    expect(ids(filterCases(rows, f({ who: 'assigned-to-me' }), ME))).toEqual(['a']);
    expect(ids(filterCases(rows, f({ who: 'created-by-me' }), ME))).toEqual(['ccc']);
    expect(ids(filterCases(rows, f({ who: 'unassigned' }), ME))).toEqual(['bb', 'ccc', 'dddd']);
    expect(ids(filterCases(rows, f({ text: 'MANDIBLE eng@' }), ME))).toEqual(['a']);
    expect(ids(filterCases(rows, f({ text: 'not_hu' }), ME))).toEqual(['ccc']);
    expect(ids(filterCases(rows, f({ text: 'surface' }), ME))).toEqual(['bb']);
    expect(ids(filterCases(rows, f({ dueBefore: '2026-12-05' }), ME))).toEqual(['bb', 'dddd']);
  });
});

describe('sortCases', () => {
  it('sorts by due date either way, cases without one last, and by creation', () => {
    expect(ids(sortCases(rows, 'due-asc'))).toEqual(['bb', 'dddd', 'a', 'ccc']);
    expect(ids(sortCases(rows, 'due-desc'))).toEqual(['a', 'dddd', 'bb', 'ccc']);
    expect(ids(sortCases(rows, 'created-desc'))).toEqual(['dddd', 'ccc', 'bb', 'a']);
    expect(ids(rows)).toEqual(['a', 'bb', 'ccc', 'dddd']);
  });
});

describe('applyCaseEvent', () => {
  it('replaces a row by id, adds a new one first, and keeps the same array when nothing changed', () => {
    const changed = row('bb', { latestJob: { id: 'j', kind: 'convert', state: 'succeeded', progress: 1, stage: 'done', error: null } });
    const next = applyCaseEvent(rows, changed);
    expect(next).not.toBe(rows);
    expect(next[1]).toBe(changed);
    expect(next).toHaveLength(4);
    expect(applyCaseEvent(next, { ...changed })).toBe(next);
    expect(ids(applyCaseEvent(rows, row('eeeee')))).toEqual(['eeeee', 'a', 'bb', 'ccc', 'dddd']);
  });
});

describe('filters in the URL', () => {
  it('round-trips, leaves defaults out and ignores values it does not know', () => {
    const x = f({ status: 'failed', who: 'assigned-to-me', text: 'skull plate', dueBefore: '2026-12-24', sort: 'due-desc' });
    expect(filtersFromQuery(filtersToQuery(x))).toEqual(x);
    expect(filtersToQuery(DEFAULT_FILTERS)).toBe('');
    expect(filtersFromQuery('?status=nonsense&dueBefore=tomorrow&sort=x')).toEqual(DEFAULT_FILTERS);
  });
});
