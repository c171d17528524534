/**
 * "Choose for me" found nothing: no printer and material of the catalogue can print the model as
 * asked (the server's 400 NO_PAIR_MEETS_NEEDS or 422 NOTHING_FITS). What a print-lab technician
 * needs to act: a heading that says so, what would help (a need to relax and what it would free,
 * another side down, cut into parts, thin walls), then every refused pair with its reasons,
 * closest to printing first.
 */
import { Link } from 'wouter';
import type { NoChoiceError } from './choose-api.js';
import { closestFirst, listText, remediesOf, requirementsAsked, type Names, type PairId, type RefusedPair, type Remedy, type Requirement } from './no-choice.js';
import { RefusedPairs } from './RefusedPairs.js';
import './no-choice.css';

const pairsText = (n: number): string => `${n} ${n === 1 ? 'pair' : 'pairs'}`;
const needText = (r: Requirement): string => (r === 'technology' ? 'the technology asked for' : `“${r}”`);
/** The need as the form's legend puts it ("the material must be …"). */
const needSentence = (r: Requirement): string => (r === 'technology' ? 'The technology asked for' : `The material must be ${r}: that`);

export function NoChoice({ error, names, canEdit }: { error: NoChoiceError; names: Names; canEdit: boolean }) {
  const refused: RefusedPair[] = error.choice.figures.refused;
  const asked = requirementsAsked(refused);
  const remedies = remediesOf(refused);
  const all = `the catalogue's ${pairsText(refused.length)} of printer and material`;
  const summary =
    error.code === 'NO_PAIR_MEETS_NEEDS'
      ? `None of ${all} meets what was asked for (${listText(asked.map(needText))}) and can print the model.`
      : `None of ${all} can print the model as it lies.`;
  return (
    <section className="quote-nofit print-problem" aria-labelledby="quote-nofit-h" data-testid="quote-nofit" data-code={error.code}>
      <h3 id="quote-nofit-h">Nothing in the catalogue can print it as asked</h3>
      <p role="alert" data-testid="quote-nofit-summary">
        {summary}
      </p>
      {remedies.length > 0 && (
        <>
          <h4>What would help</h4>
          <ul className="quote-nofit-actions" data-testid="quote-nofit-actions">
            {remedies.map((r) => (
              <RemedyItem key={remedyKey(r)} r={r} names={names} />
            ))}
          </ul>
        </>
      )}
      <p className="hint">
        {canEdit ? (
          <>
            If the catalogue is wrong (a build volume, a material property not stated), <Link href="/admin/printers">correct it on the Printers page</Link>.
          </>
        ) : (
          'If the catalogue is wrong (a build volume, a material property not stated), the organisation admin corrects it on the Printers page.'
        )}
      </p>
      <RefusedPairs refused={closestFirst(refused)} names={names} caption={`The ${pairsText(refused.length)} refused, closest to printing first`} />
    </section>
  );
}

function remedyKey(r: Remedy): string {
  return r.kind === 'requirement' ? `${r.kind}-${r.requirement}` : r.kind === 'cut' ? `cut-${r.parts}` : r.kind;
}

/** "Formlabs Form 4 in BioMed Clear" for each pair. */
const pairList = (pairs: PairId[], names: Names): string => listText(pairs.map((p) => `${names.printer(p.printer)} in ${names.material(p.material)}`));

/** One step that would help, in words; data-* say the same for a test to compare with the record. */
function RemedyItem({ r, names }: { r: Remedy; names: Names }) {
  const printers = 'printers' in r ? listText(r.printers.map(names.printer)) : '';
  // prepare takes one printer: the first, the others said to work alike.
  const prepare =
    'printers' in r ? (
      <>
        <code>scan2print prepare --printer {r.printers[0]}</code>
        {r.printers.length > 1 ? ', or another of these printers' : ''}
      </>
    ) : null;
  const data = { 'data-testid': 'quote-nofit-action', 'data-kind': r.kind };
  switch (r.kind) {
    case 'requirement': {
      const ruled = r.requirement === 'technology' ? printers : listText(r.materials.map(names.material));
      return (
        <li {...data} data-requirement={r.requirement} data-without={r.without.map((p) => `${p.printer}/${p.material}`).join(' ')}>
          {needSentence(r.requirement)} rules out {ruled} ({pairsText(r.pairs)}).{' '}
          {r.without.length > 0
            ? `Without it, ${pairList(r.without, names)} could print it: if the case allows, untick it and choose again.`
            : 'Relaxing it alone would not help: those pairs are refused for other reasons too.'}
        </li>
      );
    }
    case 'requirements':
      return (
        <li {...data} data-without={r.without.map((p) => `${p.printer}/${p.material}`).join(' ')}>
          Only without {listText(r.requirements.map(needText))} together could {pairList(r.without, names)} print it.
        </li>
      );
    case 'turn':
      return (
        <li {...data} data-printers={r.printers.join(' ')}>
          Another side down it fits whole on {printers} ({pairsText(r.pairs)}). The quote takes the approved model as it lies: orient it first ({prepare}).
        </li>
      );
    case 'cut':
      return (
        <li {...data} data-parts={r.parts} data-printers={r.printers.join(' ')}>
          Cut into {r.parts} parts it fits {printers} ({pairsText(r.pairs)}): split it with connectors ({prepare}).
        </li>
      );
    case 'thin':
      return (
        <li {...data} data-printers={r.printers.join(' ')}>
          Too much of its surface is thinner than the minimum feature of {printers} ({pairsText(r.pairs)}): thicken the thin walls, or use a printer with a finer minimum feature.
        </li>
      );
    case 'too-small':
      return (
        <li {...data} data-printers={r.printers.join(' ')}>
          {printers} {r.printers.length === 1 ? 'is' : 'are'} too small for it even in parts with connectors ({pairsText(r.pairs)}).
        </li>
      );
  }
}
