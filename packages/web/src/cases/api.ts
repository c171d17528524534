/** The calls the case list and case page make, typed (the server's OpenAPI: /api/openapi.json). */
import { api } from '../api/client.js';
import type { Artifact } from '../api/types.js';
import type { CaseComment, CaseDetailRow, CaseRow, Decision, JobDetail, ModelVersion, OrgUser, Review } from './types.js';

const enc = encodeURIComponent;

export const listCases = (signal?: AbortSignal) => api<CaseRow[]>('GET', '/api/cases', undefined, signal ? { signal } : {});
export const getCase = (id: string) => api<CaseDetailRow>('GET', `/api/cases/${enc(id)}`);
export const getJob = (id: string) => api<JobDetail>('GET', `/api/jobs/${enc(id)}`);
export const listCaseJobs = (id: string) => api<JobDetail[]>('GET', `/api/cases/${enc(id)}/jobs`);
export const listArtifacts = (id: string) => api<Artifact[]>('GET', `/api/cases/${enc(id)}/artifacts`);
export const listVersions = (id: string) => api<ModelVersion[]>('GET', `/api/cases/${enc(id)}/versions`);
export const startConvert = (id: string) => api<{ id: string }>('POST', `/api/cases/${enc(id)}/jobs`, { kind: 'convert' });
export const listUsers = () => api<OrgUser[]>('GET', '/api/users');
export const setAssignee = (id: string, userId: string | null) => api<CaseRow>('PUT', `/api/cases/${enc(id)}/assignee`, { userId });
export const listComments = (id: string) => api<CaseComment[]>('GET', `/api/cases/${enc(id)}/comments`);
export const addComment = (id: string, body: string) => api<{ id: string }>('POST', `/api/cases/${enc(id)}/comments`, { body });
export const listReviews = (id: string) => api<Review[]>('GET', `/api/cases/${enc(id)}/reviews`);
export const postReview = (id: string, decision: Decision, comment?: string, jobId?: string) =>
  api<Review>('POST', `/api/cases/${enc(id)}/reviews`, { decision, ...(comment ? { comment } : {}), ...(jobId ? { jobId } : {}) });

export const artifactUrl = (id: string) => `/api/artifacts/${enc(id)}`;
