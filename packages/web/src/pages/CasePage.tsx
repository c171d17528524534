/**
 * One case (route /cases/:id): its details and files, jobs with live progress, who works on it,
 * the latest model's downloads, approval and its history, and comments. The case's row follows
 * /api/events and a running job its own /api/jobs/:id/events; a change reloads the lists (the
 * print jobs too: their changes are case-activity events), and so does each (re)connect of the
 * stream (what changed before it sent no event).
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link } from 'wouter';
import { ApiError } from '../api/client.js';
import type { Artifact } from '../api/types.js';
import { useSession } from '../session.js';
import { getCase, listArtifacts, listCaseJobs, listComments, listReviews, listUsers, listVersions, startConvert } from '../cases/api.js';
import { latestDownloads } from '../cases/downloads.js';
import { dueInfo, formatBytes, formatTime, isFinished, statusOf } from '../cases/format.js';
import { canAssign, canStartConvert } from '../cases/roles.js';
import { isTerminal, useJobEvents } from '../cases/useJobEvents.js';
import { useLiveCases } from '../cases/useCaseEvents.js';
import { StatusView } from '../cases/StatusCell.js';
import { JobsSection } from '../cases/JobsSection.js';
import { DownloadsSection } from '../cases/DownloadsSection.js';
import { ReviewSection } from '../cases/ReviewSection.js';
import { CommentsSection } from '../cases/CommentsSection.js';
import { AssigneePicker } from '../cases/AssigneePicker.js';
import { WorkflowPanel } from '../workflow/WorkflowPanel.js';
import { LabelSection } from '../workflow/LabelSection.js';
import { approvedVersions, reviewStepsOf } from '../workflow/approved.js';
import type { WorkflowView } from '../workflow/types.js';
import { QuotePanel } from '../print/QuotePanel.js';
import { SendToPacsPanel } from '../pacs/SendToPacsPanel.js';
import type { CaseComment, CaseDetailRow, JobDetail, ModelVersion, OrgUser, Review } from '../cases/types.js';
import '../cases/cases.css';

interface Loaded {
  detail: CaseDetailRow;
  jobs: JobDetail[];
  artifacts: Artifact[];
  versions: ModelVersion[] | null;
  reviews: Review[] | null;
  comments: CaseComment[];
}

/** An endpoint a newer server adds: null when this one does not have it. */
async function optional<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return null;
    throw e;
  }
}

export function CasePage({ caseId }: { caseId: string }) {
  const { me } = useSession();
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [users, setUsers] = useState<OrgUser[] | null>(null);
  const [tick, setTick] = useState(0);
  const [workflow, setWorkflow] = useState<WorkflowView | null>(null);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    let stale = false;
    Promise.all([getCase(caseId), listCaseJobs(caseId), listArtifacts(caseId), optional(listVersions(caseId)), optional(listReviews(caseId)), listComments(caseId)]).then(
      ([detail, jobs, artifacts, versions, reviews, comments]) => {
        if (stale) return;
        setData({ detail, jobs, artifacts, versions, reviews, comments });
        setError(null);
      },
      (e: Error) => {
        if (stale) return;
        setError(e instanceof ApiError && e.status === 404 ? 'There is no such case in your organisation.' : e.message);
      },
    );
    return () => {
      stale = true;
    };
  }, [caseId, tick]);

  // Every role reads the users (GET /api/users is any member's): the picker offers them, and
  // the page names who created the case (a technician, who assigns nobody, saw "another user").
  useEffect(() => {
    optional(listUsers()).then(setUsers, () => setUsers(null));
  }, []);

  // The case's row as the live stream has it: status, latest job, assignee, review; and its
  // activity (comments, gate signatures), which the row does not show.
  const { rows, activity, connects } = useLiveCases({ activity: true });
  // Each (re)connect of the stream: a change made after this page read its lists and before the
  // stream joined (or while it was down) sends no event, and its first events are taken as
  // "as loaded" below, so the lists and the workflow panel load once more.
  useEffect(() => {
    if (connects > 0) reload();
  }, [connects, reload]);
  const liveRow = rows?.find((r) => r.id === caseId);
  const liveKey = liveRow ? JSON.stringify([liveRow.latestJob?.id, liveRow.latestJob?.state, liveRow.status, liveRow.assignee?.id, liveRow.review?.at, liveRow.files]) : '';
  const [seenKey, setSeenKey] = useState('');
  useEffect(() => {
    if (!liveKey || liveKey === seenKey) return;
    // The first live row only confirms what was loaded; later changes reload the lists.
    if (seenKey) reload();
    setSeenKey(liveKey);
  }, [liveKey, seenKey, reload]);
  // Another user's comment or signature: the lists and the workflow panel (reloadKey: tick) load again.
  const activityKey = activity[caseId] ?? '';
  const [seenActivity, setSeenActivity] = useState('');
  useEffect(() => {
    if (!activityKey || activityKey === seenActivity) return;
    if (seenActivity) reload();
    setSeenActivity(activityKey);
  }, [activityKey, seenActivity, reload]);

  const activeJobId = data?.jobs.find((j) => !isTerminal(j.state))?.id ?? null;
  const liveJob = useJobEvents(activeJobId);
  const liveJobEnded = liveJob !== null && isTerminal(liveJob.state);
  useEffect(() => {
    if (liveJobEnded) reload();
  }, [liveJobEnded, reload]);

  const jobOrder = useMemo(() => data?.jobs.map((j) => j.id) ?? [], [data]);
  const gate = workflow?.gates.model;
  const approvedJobId = gate?.signed ? (gate.modelVersionId ?? null) : null;
  const downloads = useMemo(() => (data ? latestDownloads(data.artifacts, jobOrder, approvedJobId) : null), [data, jobOrder, approvedJobId]);
  const versionOf = useCallback((jobId: string | null) => data?.versions?.find((v) => v.jobId === jobId)?.version ?? null, [data]);

  if (error) {
    return (
      <main className="page">
        <h1>Case</h1>
        <p role="alert">{error}</p>
        <p>
          <Link href="/">Back to the cases</Link>
        </p>
      </main>
    );
  }
  if (!data) {
    return (
      <main className="page" aria-busy="true">
        <h1>Case</h1>
        <p>Loading…</p>
      </main>
    );
  }

  const c = { ...data.detail, ...(liveRow ?? {}) };
  // The live job's latest event beats the row loaded before it.
  // A server without `latestJob` in its rows: the newest of the case's jobs.
  const newest = data.jobs[data.jobs.length - 1];
  const baseJob = c.latestJob !== undefined ? c.latestJob : newest ? { ...newest, stage: newest.stage ?? null, error: newest.error ?? null } : null;
  const latestJob = liveJob && baseJob?.id === liveJob.id ? { ...baseJob, ...liveJob, stage: liveJob.stage ?? null, error: liveJob.error ?? null } : baseJob;
  const files = c.files ?? data.detail.series.reduce((n, s) => n + s.files, 0);
  const status = statusOf({ ...c, latestJob: latestJob ?? null, files });
  const due = dueInfo(c.dueDate, new Date(), isFinished(status.kind));
  // Who created it, when known; nothing rather than a guess (a user since removed, no user list).
  const creator = users?.find((u) => u.id === c.createdBy)?.email ?? (c.createdBy === me.id ? 'you' : null);

  return (
    <main className="page case-page">
      <p>
        <Link href="/">← All cases</Link>
      </p>
      <h1>
        {c.anatomy}: {c.purpose}
      </h1>
      <div className="case-sections">
        <section aria-labelledby="facts-h">
          <h2 id="facts-h">Case</h2>
          <dl className="case-facts">
            <dt>Status</dt>
            <dd data-testid="case-page-status" data-status={status.kind}>
              <StatusView s={status} label="Case progress" />
            </dd>
            <dt>Due</dt>
            <dd className={`due-${due.urgency}`}>{due.label}</dd>
            <dt>Assigned to</dt>
            <dd>
              <AssigneePicker caseId={caseId} assignee={c.assignee} users={users} mayAssign={canAssign(me.role)} onChanged={reload} />
            </dd>
            <dt>Anatomy</dt>
            <dd>{c.anatomy}</dd>
            <dt>Purpose</dt>
            <dd>{c.purpose}</dd>
            {c.notes ? (
              <>
                <dt>Notes</dt>
                <dd>{c.notes}</dd>
              </>
            ) : null}
            <dt>Created</dt>
            <dd>{formatTime(c.createdAt)}</dd>
            <dt>Files</dt>
            <dd data-testid="case-files">
              {data.detail.series.length === 0
                ? 'none yet'
                : data.detail.series.map((s) => `${s.files} files (${formatBytes(s.bytes)}) in series ${s.seriesInstanceUid ?? 'without UID'}`).join('; ')}
            </dd>
          </dl>
        </section>
        <WorkflowPanel
          caseId={caseId}
          role={me.role}
          versionOf={versionOf}
          reloadKey={`${tick}|${liveKey}`}
          onChanged={reload}
          onLoaded={setWorkflow}
        />
        <JobsSection
          caseId={caseId}
          jobs={data.jobs}
          live={liveJob}
          canStart={canStartConvert(me.role)}
          files={files}
          onStart={async () => {
            await startConvert(caseId);
            reload();
          }}
        />
        <DownloadsSection caseId={caseId} d={downloads} version={downloads ? versionOf(downloads.jobId) : null} />
        <ReviewSection
          caseId={caseId}
          role={me.role}
          model={downloads ? { jobId: downloads.jobId, version: versionOf(downloads.jobId) } : null}
          reviews={data.reviews}
          versionOf={versionOf}
          onDecided={reload}
          workflow={workflow ? reviewStepsOf(workflow) : null}
        />
        <LabelSection caseId={caseId} approved={approvedVersions(data.versions, data.reviews, workflow)} />
        {/* Its print jobs load again with the lists: a plate started elsewhere is a case-activity event. */}
        <QuotePanel caseId={caseId} role={me.role} workflow={workflow} live={String(tick)} />
        <SendToPacsPanel caseId={caseId} role={me.role} />
        <CommentsSection caseId={caseId} comments={data.comments} onAdded={reload} />
      </div>
      <p className="hint" data-testid="case-created-by">
        {creator ? <>Created by {creator}. </> : null}Case id <code>{c.id}</code>.
      </p>
    </main>
  );
}
