/**
 * The server calls the 3D panel makes: a case's model versions (GET /api/cases/:id/versions, with a fallback
 * to the artifact list for a server without /versions), a model's bytes, and comments pinned
 * to a point (item 8).
 */
import { api, ApiError, request } from '../../api/client.js';
import type { Artifact, CaseDetail } from '../../api/types.js';
import type { Vec3 } from './geometry.js';

export interface VersionArtifact {
  id: string;
  kind: string;
  name: string;
  bytes: number;
  sha256?: string;
}

export interface ModelVersion {
  version: number;
  jobId: string;
  kind: string;
  createdAt: string;
  state: string;
  artifacts: VersionArtifact[];
}

/** The file the viewer draws: the decimated preview when there is one, else the STL model. */
export function viewableArtifact(v: ModelVersion): VersionArtifact | undefined {
  return v.artifacts.find((a) => a.kind === 'preview') ?? v.artifacts.find((a) => /\.stl$/i.test(a.name));
}

/** Model versions that can be shown (succeeded, with an STL), oldest first. */
export async function loadVersions(caseId: string): Promise<ModelVersion[]> {
  let all: ModelVersion[];
  try {
    all = await api<ModelVersion[]>('GET', `/api/cases/${caseId}/versions`);
  } catch (e) {
    // A server without the versions route answers 404 NOT_FOUND for the path; anything else is real.
    if (!(e instanceof ApiError && e.status === 404)) throw e;
    all = await versionsFromArtifacts(caseId);
  }
  return all.filter((v) => v.state === 'succeeded' && viewableArtifact(v)).sort((a, b) => a.version - b.version);
}

async function versionsFromArtifacts(caseId: string): Promise<ModelVersion[]> {
  const [detail, artifacts] = await Promise.all([api<CaseDetail>('GET', `/api/cases/${caseId}`), api<Artifact[]>('GET', `/api/cases/${caseId}/artifacts`)]);
  const jobs = [...detail.jobs].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const out: ModelVersion[] = [];
  for (const j of jobs) {
    const arts = artifacts.filter((a) => a.jobId === j.id);
    if (!arts.some((a) => a.kind === 'preview')) continue;
    out.push({ version: out.length + 1, jobId: j.id, kind: j.kind, createdAt: j.createdAt, state: j.state, artifacts: arts });
  }
  return out;
}

export async function artifactBytes(id: string): Promise<ArrayBuffer> {
  return (await request('GET', `/api/artifacts/${id}`)).arrayBuffer();
}

export interface PinnedComment {
  id: string;
  body: string;
  author: string;
  createdAt: string;
  /** LPS mm, or null for a comment not pinned to the model. */
  point: Vec3 | null;
  jobId: string | null;
}

interface CommentJson {
  id: string;
  body: string;
  author: string | { id: string; email: string };
  createdAt: string;
  point?: { x: number; y: number; z: number } | null;
  jobId?: string | null;
}

export async function loadComments(caseId: string): Promise<PinnedComment[]> {
  const rows = await api<CommentJson[]>('GET', `/api/cases/${caseId}/comments`);
  return rows.map((c) => ({
    id: c.id,
    body: c.body,
    author: typeof c.author === 'string' ? c.author : c.author.email,
    createdAt: c.createdAt,
    point: c.point ? [c.point.x, c.point.y, c.point.z] : null,
    jobId: c.jobId ?? null,
  }));
}

export async function postPinnedComment(caseId: string, body: string, point: Vec3, jobId: string): Promise<string> {
  const r = await api<{ id: string }>('POST', `/api/cases/${caseId}/comments`, { body, point: { x: point[0], y: point[1], z: point[2] }, jobId });
  return r.id;
}
