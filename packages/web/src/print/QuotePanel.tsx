/**
 * The case page's print section (issue 12): once the model is approved, pick a printer and a
 * material from the organisation's catalogue and get an instant quote (POST /api/cases/:id/quote:
 * PrusaSlicer for FDM, a volume-height estimate otherwise): print time as h:mm, grams, the
 * price with its currency or what the catalogue lacks for one. A running quote can be
 * cancelled (the request is aborted; the server stops slicing when it goes). A technician or
 * org-admin then queues the case for printing with that quote (POST /api/print/jobs, naming
 * its quoteId: the print time is the server's), finds it on the print schedule, and starts
 * and finishes it on a machine (PrintJobs).
 */
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import type { WorkflowView } from '../workflow/types.js';
import { getCatalogue, queuePrintJob, quoteCase, type PrintJobJson } from './api.js';
import { canEditCatalogue, canQueue, grams, hMm, isApproved, METHOD_WORDS, money, priceText, whenText } from './format.js';
import type { CatalogueVersion, QuoteJson } from './types.js';
import { PrintJobs } from './PrintJobs.js';
import './print.css';

export function QuotePanel({ caseId, role, workflow }: { caseId: string; role: string; workflow: WorkflowView | null }) {
  const approved = isApproved(workflow);
  return (
    <section aria-labelledby="quote-h" data-testid="quote-panel" data-approved={approved}>
      <h2 id="quote-h">Print quote</h2>
      {approved ? (
        <QuoteForm caseId={caseId} role={role} caseState={workflow?.state} />
      ) : (
        <>
          <p>A quote is available once the model is approved.</p>
          {/* A job may still be on a machine (changes were requested while it printed): it is finished or failed here. */}
          <PrintJobs caseId={caseId} role={role} reload="" caseState={workflow?.state} />
        </>
      )}
    </section>
  );
}

function QuoteForm({ caseId, role, caseState }: { caseId: string; role: string; caseState: string | undefined }) {
  const [cat, setCat] = useState<CatalogueVersion | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [printer, setPrinter] = useState('');
  const [material, setMaterial] = useState('');
  const [supports, setSupports] = useState(true);
  const [quote, setQuote] = useState<QuoteJson | null>(null);
  /** The choice the quote answers (the quote names the printer and material in its own words). */
  const [quotedFor, setQuotedFor] = useState<{ printer: string; material: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<'quote' | 'queue' | null>(null);
  const [queued, setQueued] = useState<PrintJobJson | null>(null);
  /** What the status line says once nothing runs ("Quote cancelled.", "Queued for printing."). */
  const [said, setSaid] = useState('');
  const running = useRef<AbortController | null>(null);
  // A page left mid-quote stops it too.
  useEffect(() => () => running.current?.abort(), []);

  useEffect(() => {
    getCatalogue().then(
      (c) => {
        setCat(c);
        const p = c.catalogue.printers[0];
        if (p) {
          setPrinter(p.id);
          setMaterial(p.materials[0] ?? '');
        }
      },
      (e: Error) => setLoadError(e.message),
    );
  }, []);

  const printerSpec = cat?.catalogue.printers.find((p) => p.id === printer);
  const materials = useMemo(() => (cat && printerSpec ? cat.catalogue.materials.filter((m) => printerSpec.materials.includes(m.id)) : []), [cat, printerSpec]);

  if (loadError) return <p role="alert">The printer catalogue could not be loaded: {loadError}</p>;
  if (!cat) return <p aria-busy="true">Loading the printer catalogue…</p>;

  async function ask(e: FormEvent) {
    e.preventDefault();
    const ac = new AbortController();
    running.current = ac;
    setBusy('quote');
    setError(null);
    setSaid('');
    setQuote(null);
    setQueued(null);
    try {
      const q = await quoteCase(caseId, { printer, material, supports }, ac.signal);
      setQuote(q);
      setQuotedFor({ printer, material });
    } catch (err) {
      if (ac.signal.aborted) setSaid('Quote cancelled.');
      else setError(`No quote: ${(err as Error).message}`);
    } finally {
      if (running.current === ac) running.current = null;
      setBusy(null);
    }
  }

  async function queue() {
    if (!quote || !quotedFor) return;
    setBusy('queue');
    setError(null);
    setSaid('');
    try {
      const job = await queuePrintJob({ caseId, printer: quotedFor.printer, material: quotedFor.material, ...(quote.quoteId ? { quoteId: quote.quoteId } : {}) });
      setQueued(job);
      setSaid('Queued for printing.');
    } catch (err) {
      setError(`Not queued: ${(err as Error).message}`);
    } finally {
      setBusy(null);
    }
  }

  const stale = quotedFor !== null && (quotedFor.printer !== printer || quotedFor.material !== material);
  return (
    <>
      <form className="quote-form" onSubmit={ask} aria-label="Quote the approved model">
        <label>
          Printer
          <select
            value={printer}
            onChange={(e) => {
              const p = cat.catalogue.printers.find((x) => x.id === e.target.value);
              setPrinter(e.target.value);
              if (p && !p.materials.includes(material)) setMaterial(p.materials[0] ?? '');
            }}
            data-testid="quote-printer"
          >
            {cat.catalogue.printers.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} ({p.technology})
              </option>
            ))}
          </select>
        </label>
        <label>
          Material
          <select value={material} onChange={(e) => setMaterial(e.target.value)} data-testid="quote-material">
            {materials.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={supports} onChange={(e) => setSupports(e.target.checked)} data-testid="quote-supports" />
          With supports
        </label>
        <button type="submit" className="primary" disabled={busy !== null || !printer || !material} data-testid="quote-submit">
          Quote
        </button>
      </form>
      <p className="hint">
        Catalogue version {cat.version}
        {canEditCatalogue(role) ? (
          <>
            {' '}
            (<Link href="/admin/printers">edit rates and prices</Link>)
          </>
        ) : null}
        .
      </p>
      <p role="status" aria-live="polite" data-testid="quote-status">
        {busy === 'quote' ? 'Slicing the approved model… (this can take a minute)' : busy === 'queue' ? 'Queueing…' : said}
      </p>
      {busy === 'quote' && (
        <button type="button" onClick={() => running.current?.abort()} data-testid="quote-cancel">
          Cancel the quote
        </button>
      )}
      {error && (
        <p role="alert" data-testid="quote-error">
          {error}
        </p>
      )}
      {quote && <QuoteResult q={quote} stale={stale} />}
      {quote && canQueue(role) && !queued && (
        <button type="button" onClick={() => void queue()} disabled={busy !== null || stale} data-testid="quote-queue">
          Queue for printing
        </button>
      )}
      {queued && (
        <p data-testid="quote-queued" data-job-id={queued.id}>
          Queued for printing (job <span className="mono">{queued.id.slice(0, 8)}</span>). See it on the <Link href="/print/schedule">print schedule</Link>.
        </p>
      )}
      <PrintJobs caseId={caseId} role={role} reload={queued?.id ?? ''} caseState={caseState} />
    </>
  );
}

function QuoteResult({ q, stale }: { q: QuoteJson; stale: boolean }) {
  const b = q.breakdown;
  const missing = q.missing ?? [];
  return (
    <div className="quote-result" data-testid="quote-result" data-method={q.method}>
      {stale && <p className="hint">This quote is for {q.printer} in {q.material}; quote again for the current choice.</p>}
      <dl className="case-facts">
        <dt>Print time</dt>
        <dd data-testid="quote-time" data-seconds={q.printTime_s}>
          {hMm(q.printTime_s)} (h:mm)
        </dd>
        <dt>Material</dt>
        <dd data-testid="quote-grams" data-grams={q.material_g}>
          {grams(q.material_g)}
        </dd>
        <dt>Price</dt>
        <dd data-testid="quote-price" data-price={q.price ?? ''} className={q.price === null ? 'quote-missing' : undefined}>
          {priceText(q)}
        </dd>
        {b && q.price !== null && (
          <>
            <dt>Of which</dt>
            <dd>
              machine {money(b.machine, q.currency) ?? '—'}, material {money(b.material, q.currency) ?? '—'}, set-up {money(b.setup, q.currency) ?? '—'}
            </dd>
          </>
        )}
        <dt>Method</dt>
        <dd data-testid="quote-method">{METHOD_WORDS[q.method] ?? q.method}</dd>
        {q.slicer && (
          <>
            <dt>Slicer</dt>
            <dd data-testid="quote-slicer">{q.slicer}</dd>
          </>
        )}
        <dt>Supports</dt>
        <dd>{q.supports === false ? 'no' : 'yes'}</dd>
        {q.quotedAt && (
          <>
            <dt>Quoted</dt>
            <dd>{whenText(q.quotedAt)}</dd>
          </>
        )}
      </dl>
      {q.price === null && missing.length > 0 && <p className="hint">The organisation admin enters the missing rates and prices on the Printers page; no price is guessed.</p>}
    </div>
  );
}
