/**
 * The DICOM objects a case sends back to a PACS, made from one model version (a succeeded
 * convert or mesh job): the STL as Encapsulated STL, the label map as DICOM SEG on the CT's
 * geometry, the ISO report as Encapsulated PDF (with the 3MF attached: no DICOM class holds
 * a 3MF). All three file into the source study as the server holds it: the anonymised one
 * (same Patient ID, Study Instance UID and Frame of Reference as the stored CT, so a PACS
 * files them beside it). The server keeps no mapping back to the patient, so it never
 * re-identifies; a site that keeps that mapping does so inside the hospital.
 *
 * UIDs are derived from the job and the object kind, and the date is the job's end: the
 * same model version always makes the same bytes, so a second send replaces rather than
 * duplicates.
 */
import { createHash } from 'node:crypto';
import {
  encapsulatedPdf,
  encapsulatedStl,
  instanceFromDataset,
  parseDicomDataset,
  readLabelFile,
  renderReportPdf,
  reportSchema,
  writeDicomSeg,
  SEGMENTATION_STORAGE,
  type PacsStudyRef,
  type Report,
  type SegSource,
} from '@scan2print/core';
import type { Services } from '../context.js';

type DicomInstance = ReturnType<typeof instanceFromDataset>;
import type { Artifact, Case, Job } from '../db/schema.js';
import { MODEL_JOB_KINDS } from '../db/schema.js';
import { HttpError } from '../http/errors.js';
import { currentGates } from '../workflow/facts.js';

export type SendKind = 'stl' | 'seg' | 'pdf';

export interface SendObject {
  kind: SendKind;
  /** What it was made from (artifact names). */
  from: string[];
  bytes: Uint8Array;
  sopClassUid: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
}

export interface SendBundle {
  job: Job;
  studyInstanceUid: string;
  objects: SendObject[];
}

/** A 2.25 UID root from a name (SHA-256 → 128 bits): stable for the same job and object kind. */
export function derivedUidRoot(name: string): string {
  const h = createHash('sha256').update(name).digest();
  let v = 0n;
  for (const b of h.subarray(0, 16)) v = (v << 8n) | BigInt(b);
  return `2.25.${v.toString()}`;
}

/**
 * The job to send: the given one (a succeeded model job of this case), else the approved version
 * while the model gate holds (a newer version made before the approval is not what was signed),
 * else the latest (as the workflow and /versions count them: by creation, not by finishing).
 */
export async function modelJob(s: Services, c: Case, jobId?: string): Promise<Job> {
  let q = s.db.selectFrom('jobs').selectAll().where('case_id', '=', c.id).where('kind', 'in', [...MODEL_JOB_KINDS]).where('state', '=', 'succeeded');
  const approved = jobId ? undefined : (await currentGates(s.db, c.id)).model?.modelVersionId;
  if (jobId ?? approved) q = q.where('id', '=', (jobId ?? approved)!);
  const job = await q.orderBy('created_at', 'desc').orderBy('seq', 'desc').executeTakeFirst();
  if (!job) {
    throw jobId
      ? new HttpError(409, 'NO_MODEL', `job ${jobId} is not a succeeded model job (convert or rebuild) of case ${c.id}`)
      : new HttpError(409, 'NO_MODEL', `case ${c.id} has no succeeded model job yet: run a convert first`);
  }
  return job;
}

const text = (d: { string(tag: string): string | undefined }, tag: string) => d.string(tag)?.trim() || undefined;

/** The stored CT series the model was made from: headers with geometry, and the study's attributes. */
async function sourceSeries(s: Services, c: Case, report: Report): Promise<{ ref: PacsStudyRef; instances: DicomInstance[] }> {
  const files = await s.db.selectFrom('files').select(['name', 'object_key', 'series_uid']).where('case_id', '=', c.id).orderBy('name').execute();
  if (files.length === 0) throw new HttpError(409, 'NO_SOURCE', `case ${c.id} holds no DICOM files to take the study from`);
  const wanted = report.input.seriesInstanceUid;
  const counts = new Map<string, number>();
  for (const f of files) counts.set(f.series_uid ?? '', (counts.get(f.series_uid ?? '') ?? 0) + 1);
  const largest = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  const series = wanted && counts.has(wanted) ? wanted : largest;
  const instances: DicomInstance[] = [];
  let ref: PacsStudyRef | undefined;
  for (const f of files.filter((x) => (x.series_uid ?? '') === series)) {
    const bytes = await s.store.get(f.object_key);
    const parsed = parseDicomDataset(bytes, f.name);
    if (!parsed) continue;
    const inst = instanceFromDataset(parsed, f.name);
    instances.push(inst);
    if (!ref && inst.studyInstanceUid) {
      const d = parsed.dataSet;
      ref = {
        studyInstanceUid: inst.studyInstanceUid,
        ...(inst.frameOfReferenceUid ? { frameOfReferenceUid: inst.frameOfReferenceUid } : {}),
        ...optional({
          patientName: text(d, 'x00100010'),
          patientId: text(d, 'x00100020'),
          patientBirthDate: text(d, 'x00100030'),
          patientSex: text(d, 'x00100040'),
          studyDate: text(d, 'x00080020'),
          studyTime: text(d, 'x00080030'),
          studyId: text(d, 'x00200010'),
          accessionNumber: text(d, 'x00080050'),
          referringPhysicianName: text(d, 'x00080090'),
          studyDescription: text(d, 'x00081030'),
        }),
        ...(inst.seriesInstanceUid ? { sourceSeriesUid: inst.seriesInstanceUid } : {}),
      };
    }
  }
  if (!ref) throw new HttpError(409, 'NO_SOURCE', `the stored series of case ${c.id} has no Study Instance UID`);
  ref.sourceInstances = instances.filter((i) => i.sopInstanceUid).map((i) => ({ sopClassUid: i.sopClassUid ?? '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: i.sopInstanceUid! }));
  return { ref, instances };
}

function optional<T extends Record<string, string | undefined>>(o: T): { [K in keyof T]?: string } {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]?: string };
}

const dicomDateTime = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14);

export interface BuildOptions {
  /** Attach the 3MF to the report PDF (default true). */
  attach3mf?: boolean;
}

/** Makes the STL, SEG and PDF objects of `job`. */
export async function buildSendObjects(s: Services, c: Case, job: Job, opts: BuildOptions = {}): Promise<SendBundle> {
  const arts = await s.db.selectFrom('artifacts').selectAll().where('job_id', '=', job.id).orderBy('name').execute();
  const pick = (kind: string, re: RegExp): Artifact | undefined => arts.find((a) => a.kind === kind && re.test(a.name));
  const stl = pick('model', /\.stl$/i);
  const labels = pick('labels', /\.nii\.gz$/i);
  const reportJson = pick('report-json', /\.json$/i);
  const threeMf = pick('model', /\.3mf$/i);
  if (!stl || !labels || !reportJson) {
    const missing = [!stl && 'the STL model', !labels && 'the label map', !reportJson && 'the report'].filter(Boolean).join(', ');
    throw new HttpError(409, 'INCOMPLETE_MODEL', `job ${job.id} lacks ${missing}: nothing was sent`);
  }
  let report: Report;
  try {
    report = reportSchema.parse(JSON.parse(new TextDecoder().decode(await s.store.get(reportJson.object_key))));
  } catch (e) {
    throw new HttpError(409, 'BAD_REPORT', `${reportJson.name} of job ${job.id} is not a valid report (${(e as Error).message.slice(0, 200)})`);
  }
  const { ref, instances } = await sourceSeries(s, c, report);
  const dateTime = dicomDateTime(job.finished_at ?? new Date(job.created_at));
  const root = (kind: SendKind) => derivedUidRoot(`scan2print:${job.id}:${kind}`);
  const objects: SendObject[] = [];

  const stlObj = encapsulatedStl(await s.store.get(stl.object_key), ref, {
    uidRoot: root('stl'),
    dateTime,
    seriesNumber: 9100,
    seriesDescription: `scan2print ${report.request.tissue} model (STL)`,
    documentTitle: `${report.request.tissue} model, 1:1 in patient mm (${stl.name})`,
  });
  objects.push({ kind: 'stl', from: [stl.name], ...stlObj });

  const map = readLabelFile(await s.store.get(labels.object_key), labels.name);
  const segSource: SegSource = {
    ...ref,
    seriesInstanceUid: ref.sourceSeriesUid ?? '',
    frameOfReferenceUid: ref.frameOfReferenceUid ?? '',
    instances: instances
      .filter((i) => i.sopInstanceUid)
      .map((i) => ({ sopClassUid: i.sopClassUid ?? '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: i.sopInstanceUid!, ...(i.imagePositionPatient ? { imagePositionPatient: i.imagePositionPatient } : {}) })),
  };
  if (!segSource.frameOfReferenceUid) throw new HttpError(409, 'NO_FRAME_OF_REFERENCE', `the stored series of case ${c.id} has no Frame of Reference UID: the model and SEG cannot be placed on it`);
  const segRoot = root('seg');
  const seg = writeDicomSeg(map, segSource, { uidRoot: segRoot, dateTime, seriesNumber: 9101, seriesDescription: `scan2print ${report.request.tissue} segmentation` });
  objects.push({ kind: 'seg', from: [labels.name], bytes: seg, sopClassUid: SEGMENTATION_STORAGE, sopInstanceUid: `${segRoot}.2`, seriesInstanceUid: `${segRoot}.1` });

  const attach = opts.attach3mf !== false && threeMf ? [{ name: threeMf.name, bytes: await s.store.get(threeMf.object_key), mimeType: 'model/3mf', description: `${report.request.tissue} model (3MF, with units and metadata)` }] : [];
  const pdf = await renderReportPdf(report, { subtitle: `Case ${c.id}, model version ${job.id}`, attachments: attach });
  const pdfObj = encapsulatedPdf(pdf, ref, { uidRoot: root('pdf'), dateTime, seriesNumber: 9102 });
  objects.push({ kind: 'pdf', from: [reportJson.name, ...attach.map((a) => a.name)], ...pdfObj });

  return { job, studyInstanceUid: ref.studyInstanceUid, objects };
}
