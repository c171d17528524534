/** What the browser removed before upload, the patient key, and where the project key lives. */
import type { AnonymisedReport } from './messages.js';
import { bytes } from './format.js';

/** Core's action counts, in words. */
const ACTIONS: Array<[string, string]> = [
  ['X', 'attributes removed'],
  ['Z', 'attributes emptied'],
  ['D', 'values replaced by a dummy'],
  ['U', 'UIDs replaced'],
  ['U*', 'sequences with UIDs replaced inside'],
  ['private', 'private attributes removed'],
  ['outsideTable', 'other attributes removed (not on the keep list)'],
  ['uidOutsideTable', 'other UIDs replaced'],
  ['overlay', 'overlay elements removed'],
  ['curve', 'curve elements removed'],
  ['meta', 'file meta elements rewritten'],
  ['command', 'command elements removed'],
  ['unSequence', 'sequences stored as unknown, rewritten'],
];

export function AnonymisationSummary({ report, keyFingerprint }: { report: AnonymisedReport; keyFingerprint: string }) {
  const f = report.files;
  return (
    <section className="anon" aria-labelledby="anon-h" data-testid="anonymisation-summary">
      <h3 id="anon-h">Anonymised in this browser</h3>
      <p>
        {f.written} of {f.input} files anonymised (DICOM PS3.15 Basic Profile), {bytes(report.zipBytes)} to send.
        {f.dicomdirs > 0 && ` ${f.dicomdirs} DICOMDIR index file(s) left out (they list patient names).`}
        {f.notDicom > 0 && ` ${f.notDicom} non-DICOM file(s) left out.`}
        {f.refused > 0 && ` ${f.refused} file(s) not sent: their pixels may show identity (burned-in annotation).`}
        {f.failed > 0 && ` ${f.failed} file(s) could not be read.`}
      </p>
      <p>
        Patient key{report.patientKeys.length > 1 ? 's' : ''}:{' '}
        {report.patientKeys.map((k) => (
          <code key={k} data-testid="patient-key">
            {k}
          </code>
        ))}{' '}
        — a one-way pseudonym written as PatientID; the same patient gives the same key with this organisation&apos;s project key.
      </p>
      <p className="key-note" data-testid="project-key-note">
        The project key (fingerprint <code>{keyFingerprint}</code>) is kept in this browser only and never leaves it; the server never
        sees names, IDs or original UIDs.
      </p>
      <table className="anon-counts">
        <caption>Changes by kind ({report.uidsReplaced} distinct UIDs replaced)</caption>
        <thead>
          <tr>
            <th scope="col">What</th>
            <th scope="col">Count</th>
          </tr>
        </thead>
        <tbody>
          {ACTIONS.filter(([k]) => (report.actions[k] ?? 0) > 0).map(([k, label]) => (
            <tr key={k}>
              <td>{label}</td>
              <td>{report.actions[k]}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <details>
        <summary>Identifying attributes found in the originals ({report.removed.length})</summary>
        <ul className="removed" data-testid="removed-attributes">
          {report.removed.map((a) => (
            <li key={`${a.tag} ${a.action}`}>
              {a.tag} {a.keyword} — {a.action} — in {a.files} file{a.files === 1 ? '' : 's'}
            </li>
          ))}
        </ul>
      </details>
      {report.skipped.length > 0 && (
        <details>
          <summary>Files not sent ({report.skipped.length})</summary>
          <ul>
            {report.skipped.map((s, i) => (
              <li key={i}>{s}</li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
