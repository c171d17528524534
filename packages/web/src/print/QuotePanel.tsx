/**
 * The case page's print section (issue 12): once the model is approved, pick a printer and a
 * material from the organisation's catalogue and get an instant quote (POST /api/cases/:id/quote:
 * PrusaSlicer for FDM, a volume-height estimate otherwise): print time as h:mm, grams, the
 * price with its currency or what the catalogue lacks for one. "Choose for me" lets the server
 * choose the printer and material (printer "auto": the pairs that can print the model, ranked
 * by estimated time or price, materials biocompatible/sterilisable when ticked) and quotes the
 * chosen one; the panel says what was chosen and why, the alternatives and the refusals. When
 * no pair can print it (the server's 400 or 422 with its choice record), NoChoice says so, what
 * would help and why each pair was refused. A running quote can be
 * cancelled (the request is aborted; the server stops slicing when it goes). A technician or
 * org-admin then queues the case for printing with that quote (POST /api/print/jobs, naming
 * its quoteId: the print time is the server's), finds it on the print schedule, and starts
 * and finishes it on a machine (PrintJobs).
 */
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { MATERIAL_NEEDS } from '@scan2print/core';
import type { WorkflowView } from '../workflow/types.js';
import { getCatalogue, queuePrintJob, quoteCase, type PrintJobJson } from './api.js';
import { NoChoiceError, quoteChoosing } from './choose-api.js';
import { canEditCatalogue, canQueue, grams, hMm, isApproved, METHOD_WORDS, money, priceText, whenText } from './format.js';
import type { CatalogueVersion, ChoiceRecord, MaterialNeed, QuoteJson } from './types.js';
import { namesIn, type Names } from './no-choice.js';
import { NoChoice } from './NoChoice.js';
import { PrintJobs } from './PrintJobs.js';
import { RefusedPairs } from './RefusedPairs.js';
import './print.css';

/** `live` changes whenever the case page reads its case again: its print jobs are read again then. */
export function QuotePanel({ caseId, role, workflow, live }: { caseId: string; role: string; workflow: WorkflowView | null; live: string }) {
  const approved = isApproved(workflow);
  return (
    <section aria-labelledby="quote-h" data-testid="quote-panel" data-approved={approved}>
      <h2 id="quote-h">Print quote</h2>
      {approved ? (
        <QuoteForm caseId={caseId} role={role} caseState={workflow?.state} live={live} />
      ) : (
        <>
          <p>A quote is available once the model is approved.</p>
          {/* A job may still be on a machine (changes were requested while it printed): it is finished or failed here. */}
          <PrintJobs caseId={caseId} role={role} reload={live} caseState={workflow?.state} />
        </>
      )}
    </section>
  );
}

function QuoteForm({ caseId, role, caseState, live }: { caseId: string; role: string; caseState: string | undefined; live: string }) {
  const [cat, setCat] = useState<CatalogueVersion | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [printer, setPrinter] = useState('');
  const [material, setMaterial] = useState('');
  const [supports, setSupports] = useState(true);
  /** What the material must be when the server chooses (Choose for me). */
  const [needs, setNeeds] = useState<MaterialNeed[]>([]);
  const [quote, setQuote] = useState<QuoteJson | null>(null);
  /** The choice the quote answers (the quote names the printer and material in its own words). */
  const [quotedFor, setQuotedFor] = useState<{ printer: string; material: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** "Choose for me" found no pair: the server's record of why, for each pair. */
  const [noChoice, setNoChoice] = useState<NoChoiceError | null>(null);
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

  /** A quote of the picked pair, or (auto) of the pair the server chooses: the pickers then show it. */
  async function ask(e: FormEvent | null, auto = false) {
    e?.preventDefault();
    const ac = new AbortController();
    running.current = ac;
    setBusy('quote');
    setError(null);
    setNoChoice(null);
    setSaid('');
    setQuote(null);
    setQueued(null);
    try {
      const q = auto
        ? await quoteChoosing(caseId, { supports, ...(needs.length ? { needs } : {}) }, ac.signal)
        : await quoteCase(caseId, { printer, material, supports }, ac.signal);
      if (auto) {
        setPrinter(q.printer);
        setMaterial(q.material);
      }
      setQuote(q);
      setQuotedFor(auto ? { printer: q.printer, material: q.material } : { printer, material });
    } catch (err) {
      if (ac.signal.aborted) setSaid('Quote cancelled.');
      else if (err instanceof NoChoiceError) setNoChoice(err);
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
    setNoChoice(null);
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
        <fieldset className="quote-form">
          <legend>Or let the server choose: the material must be</legend>
          {MATERIAL_NEEDS.map((n) => (
            <label className="check" key={n}>
              <input
                type="checkbox"
                checked={needs.includes(n)}
                onChange={(e) => setNeeds(e.target.checked ? [...needs, n] : needs.filter((x) => x !== n))}
                data-testid={`quote-need-${n}`}
              />
              {n}
            </label>
          ))}
          <button type="button" disabled={busy !== null} onClick={() => void ask(null, true)} data-testid="quote-auto">
            Choose for me
          </button>
        </fieldset>
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
        {busy === 'quote' ? 'Quoting the approved model… (slicing can take a minute)' : busy === 'queue' ? 'Queueing…' : said}
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
      {noChoice && <NoChoice error={noChoice} names={namesIn(cat)} canEdit={canEditCatalogue(role)} />}
      {quote?.choice && <ChoiceResult c={quote.choice} names={namesIn(cat)} />}
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
      <PrintJobs caseId={caseId} role={role} reload={`${live} ${queued?.id ?? ''}`} caseState={caseState} />
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

/** How many alternatives the panel lists (the answer has them all). */
const SHOWN = 4;

/** What the server chose and why, the next best pairs (quick estimates) and every refusal with its reason. */
function ChoiceResult({ c, names }: { c: ChoiceRecord; names: Names }) {
  const f = c.figures;
  const first = f.ranked[0];
  if (!first) return null;
  const printerName = names.printer;
  const materialName = names.material;
  const estimate = (v: (typeof f.ranked)[number]) =>
    v.estimate ? `about ${hMm(v.estimate.printTime_s)} h, ${grams(v.estimate.material_g)}${v.estimate.price !== null ? `, ${money(v.estimate.price, v.estimate.currency)}` : ''}` : '';
  const rest = f.ranked.slice(1);
  return (
    <div className="quote-result" data-testid="quote-choice" data-printer={first.printer} data-material={first.material} data-ranked-by={f.rankedBy}>
      <p>
        <strong>Chosen for you:</strong> {printerName(first.printer)} in {materialName(first.material)}: {first.why}.
      </p>
      <p className="hint" data-testid="quote-choice-basis">
        {f.rankedByWhy.charAt(0).toUpperCase() + f.rankedByWhy.slice(1)}. Estimates rank the choices; the quote below is the chosen pair's own.
      </p>
      {rest.length > 0 && (
        <>
          <h3>Alternatives</h3>
          <ol start={2} data-testid="quote-alternatives">
            {rest.slice(0, SHOWN).map((v) => (
              <li key={`${v.printer}/${v.material}`} data-testid="quote-alternative" data-printer={v.printer} data-material={v.material}>
                {printerName(v.printer)} in {materialName(v.material)}: {estimate(v)}
              </li>
            ))}
          </ol>
          {rest.length > SHOWN && <p className="hint">and {rest.length - SHOWN} more that can print it.</p>}
        </>
      )}
      {f.refused.length > 0 && (
        <details data-testid="quote-refused">
          <summary>{f.refused.length} printer and material pairs cannot print it</summary>
          <RefusedPairs refused={f.refused} names={names} caption="Refused pairs, by printer" />
        </details>
      )}
    </div>
  );
}
