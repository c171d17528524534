/**
 * The organisation's cases (route /): one row per case with its live status, due date, who
 * works on it, filters and a sort by due date. Live over /api/events (cases/useCaseEvents.ts).
 */
import { useEffect, useMemo, useState } from 'react';
import { Link } from 'wouter';
import { useSession } from '../session.js';
import { useLiveCases, type LiveMode } from '../cases/useCaseEvents.js';
import { DEFAULT_FILTERS, filterCases, filtersFromQuery, filtersToQuery, sortCases, type CaseFilters } from '../cases/filter.js';
import { canCreateCases, dueInfo, formatTime, isFinished, personName, statusOf } from '../cases/format.js';
import { StatusView } from '../cases/StatusCell.js';
import type { CaseRow } from '../cases/types.js';
import '../cases/cases.css';

const MODE_TEXT: Record<LiveMode, string> = {
  connecting: 'Connecting for live updates…',
  live: 'Live: statuses update as they change.',
  reconnecting: 'Connection lost; reconnecting…',
  polling: 'Updating every 3 seconds.',
};

export function CasesPage() {
  const { me } = useSession();
  const { rows, error, mode } = useLiveCases();
  const [filters, setFilters] = useState<CaseFilters>(() => filtersFromQuery(window.location.search));
  // Re-render once a minute so "due today" and "overdue" follow the clock.
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const t = setInterval(() => setNow(new Date()), 60_000);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    window.history.replaceState(window.history.state, '', `/${filtersToQuery(filters)}`);
  }, [filters]);

  const shown = useMemo(() => (rows ? sortCases(filterCases(rows, filters, me.id), filters.sort) : []), [rows, filters, me.id]);
  const set = <K extends keyof CaseFilters>(k: K, v: CaseFilters[K]) => setFilters((f) => ({ ...f, [k]: v }));
  const dueSort = filters.sort === 'due-asc' ? 'ascending' : filters.sort === 'due-desc' ? 'descending' : 'none';

  return (
    <main className="page cases-page">
      <h1>Cases</h1>
      <p className="live-mode" role="status" data-testid="live-mode" data-mode={mode}>
        {MODE_TEXT[mode]}
      </p>
      {error && <p role="alert">{error}</p>}
      <form className="cases-filters" role="search" aria-label="Filter cases" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select value={filters.status} onChange={(e) => set('status', e.target.value as CaseFilters['status'])} data-testid="filter-status">
            <option value="all">All</option>
            <option value="active">Queued or running</option>
            <option value="done">Done, awaiting review</option>
            <option value="failed">Failed or cancelled</option>
            <option value="approved">Approved</option>
            <option value="changes-requested">Changes requested</option>
            <option value="not-converted">Not converted yet</option>
            <option value="printing">In the print lab</option>
            <option value="delivered">Delivered</option>
            <option value="closed">Rejected or cancelled</option>
          </select>
        </label>
        <label>
          Whose
          <select value={filters.who} onChange={(e) => set('who', e.target.value as CaseFilters['who'])} data-testid="filter-who">
            <option value="all">Everyone's</option>
            <option value="assigned-to-me">Assigned to me</option>
            <option value="created-by-me">Created by me</option>
            <option value="unassigned">Nobody assigned</option>
          </select>
        </label>
        <label>
          Search
          <input type="search" value={filters.text} onChange={(e) => set('text', e.target.value)} placeholder="anatomy, purpose, person…" data-testid="filter-text" />
        </label>
        <label>
          Due on or before
          <input type="date" value={filters.dueBefore} onChange={(e) => set('dueBefore', e.target.value)} data-testid="filter-due" />
        </label>
        <label>
          Sort
          <select value={filters.sort} onChange={(e) => set('sort', e.target.value as CaseFilters['sort'])} data-testid="sort">
            <option value="due-asc">Due date, soonest first</option>
            <option value="due-desc">Due date, latest first</option>
            <option value="created-desc">Newest first</option>
          </select>
        </label>
        <button type="button" onClick={() => setFilters(DEFAULT_FILTERS)} disabled={filtersToQuery(filters) === ''}>
          Clear filters
        </button>
      </form>
      {rows === null ? (
        <p aria-busy="true">Loading cases…</p>
      ) : (
        <div className="table-scroll" data-testid="cases-table-scroll">
          <table className="cases-table">
            <caption>
              {shown.length === rows.length ? `${rows.length} cases` : `${shown.length} of ${rows.length} cases match the filters`}
            </caption>
            <thead>
              <tr>
                <th scope="col">Anatomy</th>
                <th scope="col">Purpose</th>
                <th scope="col">Status</th>
                <th scope="col" aria-sort={dueSort}>
                  <button type="button" className="sort" onClick={() => set('sort', filters.sort === 'due-asc' ? 'due-desc' : 'due-asc')}>
                    Due
                  </button>
                </th>
                <th scope="col">Assigned to</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((c) => (
                <CaseRowView key={c.id} c={c} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {rows !== null && rows.length === 0 && (
        <p>
          No cases yet.{canCreateCases(me.role) && <> <Link href="/cases/new">Create the first one</Link>.</>}
        </p>
      )}
    </main>
  );
}

function CaseRowView({ c, now }: { c: CaseRow; now: Date }) {
  const s = statusOf(c);
  const due = dueInfo(c.dueDate, now, isFinished(s.kind));
  return (
    <tr data-testid="case-row" data-case-id={c.id}>
      <td>
        <Link href={`/cases/${c.id}`}>{c.anatomy}</Link>
      </td>
      <td className="purpose">{c.purpose}</td>
      <td data-testid="case-status" data-status={s.kind}>
        <StatusView s={s} label={`${c.anatomy} progress`} />
      </td>
      <td className={`due-${due.urgency}`} data-testid="case-due" data-urgency={due.urgency}>
        {due.label}
      </td>
      <td data-testid="case-assignee">{c.assignee ? personName(c.assignee) : <span className="hint">nobody</span>}</td>
      <td>{formatTime(c.createdAt)}</td>
    </tr>
  );
}
