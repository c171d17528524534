/**
 * Print labels and the case bundle (route /cases/:id): for each approved model version, its
 * short code (a link to /q/<code>, what the QR on the label opens) and the label as SVG and
 * PNG; and the whole case as one zip (models, report, audit entries and keys to verify them).
 */
import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import { request } from '../api/client.js';
import { bundleUrl, labelUrl } from './api.js';

/** The label SVG names its code in its <title> ("scan2print model <code>"). */
export function codeFromLabelSvg(svg: string): string | null {
  return /<title>scan2print model ([0-9A-Z]{8})<\/title>/.exec(svg)?.[1] ?? null;
}

/** The version's code: as listed, else read from its label (the server lists codes only there). */
function useCode(caseId: string, v: LabelledVersion): string | null {
  const [read, setRead] = useState<string | null>(null);
  useEffect(() => {
    if (v.code) return;
    let stale = false;
    request('GET', labelUrl(caseId, v.jobId, 'svg')).then(
      async (r) => {
        const code = codeFromLabelSvg(await r.text());
        if (!stale) setRead(code);
      },
      () => undefined,
    );
    return () => {
      stale = true;
    };
  }, [caseId, v.jobId, v.code]);
  return v.code ?? read;
}

function VersionLabel({ caseId, v }: { caseId: string; v: LabelledVersion }) {
  const code = useCode(caseId, v);
  const what = v.version ? `Model version ${v.version}` : 'Approved model';
  return (
    <div data-testid="model-label" data-job-id={v.jobId} className="model-label">
      <p>
        {what}
        {code ? (
          <>
            {', code '}
            <Link href={`/q/${code}`} data-testid="model-code" className="mono">
              {code}
            </Link>
          </>
        ) : null}
        :
      </p>
      <img className="label-preview" src={labelUrl(caseId, v.jobId, 'svg')} alt={`Print label of ${what.toLowerCase()}${code ? `, code ${code}` : ''}`} />
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
  );
}

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
        approved.map((v) => <VersionLabel key={v.jobId} caseId={caseId} v={v} />)
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
