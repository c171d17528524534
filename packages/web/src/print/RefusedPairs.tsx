/**
 * The printer × material pairs an automatic choice refused, one table row each with every reason
 * (core's refusals, one line each): under a choice (the pairs that cannot print it) and when
 * nothing can print it (NoChoice, closest to printing first). One rendering for both, so the
 * two read alike and a test finds each pair by data-printer and data-material.
 */
import type { Names, RefusedPair } from './no-choice.js';
import './no-choice.css';

export function RefusedPairs({ refused, names, caption }: { refused: RefusedPair[]; names: Names; caption: string }) {
  return (
    <div className="table-scroll">
      <table className="jobs-table quote-refused-table" data-testid="quote-refused-table">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Printer and material</th>
            <th scope="col">Why it cannot print it</th>
          </tr>
        </thead>
        <tbody>
          {refused.map((v) => (
            <tr
              key={`${v.printer}/${v.material}`}
              data-testid="quote-refusal"
              data-printer={v.printer}
              data-material={v.material}
              data-codes={v.refusals.map((r) => r.code).join(' ')}
            >
              {/* One cell for the pair: the reasons, often long, get the width of a narrow panel. */}
              <th scope="row">
                {names.printer(v.printer)} <span className="quote-refused-material">in {names.material(v.material)}</span>
              </th>
              <td>
                {v.refusals.length > 1 ? (
                  <ul className="quote-refused-reasons">
                    {v.refusals.map((r) => (
                      <li key={r.code}>{r.message}</li>
                    ))}
                  </ul>
                ) : (
                  (v.refusals[0]?.message ?? v.why)
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
