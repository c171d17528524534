/**
 * Print labels and the case bundle (route /cases/:id): for each approved model version, its
 * short code (a link to /q/<code>, what the QR on the label opens) and the label as SVG and
 * PNG; and the whole case as one zip (models, report, audit entries and keys to verify them).
 */
import { Link } from 'wouter';
import { bundleUrl, labelUrl } from './api.js';

export interface LabelledVersion {
  jobId: string;
  version: number | null;
  /** The model code, when the server lists it with the version. */
  code?: string | null;
}

export function LabelSection({ caseId, approved }: { caseId: string; approved: LabelledVersion[] }) {
  return (
    <section aria-labelledby="labels-h">
      <h2 id="labels-h">Print label and record</h2>
      {approved.length === 0 ? (
        <p>No approved model version yet: its label (QR code and short code) appears here once it is approved.</p>
      ) : (
        approved.map((v) => (
          <div key={v.jobId} data-testid="model-label" data-job-id={v.jobId}>
            <p>
              {v.version ? `Model version ${v.version}` : 'Approved model'}
              {v.code ? (
                <>
                  {', code '}
                  <Link href={`/q/${v.code}`} data-testid="model-code" className="mono">
                    {v.code}
                  </Link>
                </>
              ) : null}
              :
            </p>
            <ul className="label-links">
              <li>
                <a className="button" href={labelUrl(caseId, v.jobId, 'svg')} download data-testid="label-svg">
                  Label (SVG)
                </a>
              </li>
              <li>
                <a className="button" href={labelUrl(caseId, v.jobId, 'png')} download data-testid="label-png">
                  Label (PNG)
                </a>
              </li>
            </ul>
          </div>
        ))
      )}
      <p>
        <a className="button" href={bundleUrl(caseId)} download data-testid="download-bundle">
          Download case bundle (zip)
        </a>
        <span className="hint"> Models, report, labels and the signed audit entries, verifiable offline.</span>
      </p>
    </section>
  );
}
