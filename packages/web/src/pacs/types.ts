/** What the PACS routes answer (packages/server/src/routes/pacs.ts). */
export interface PacsDestination {
  id: string;
  name: string;
  kind: 'dimse' | 'dicomweb';
  aeTitle: string | null;
  host: string | null;
  port: number | null;
  dicomwebUrl: string | null;
  createdAt: string;
}

export interface SentObject {
  kind: 'stl' | 'seg' | 'pdf';
  from: string[];
  sopInstanceUid: string;
  bytes: number;
  sha256: string;
  ok?: boolean;
  status?: number;
  comment?: string;
}

export interface PacsSend {
  id: string;
  jobId: string | null;
  destinationId: string;
  destination?: string;
  via: 'c-store' | 'stow-rs';
  status: 'sending' | 'sent' | 'partial' | 'failed';
  objects: SentObject[];
  error: string | null;
  createdAt?: string;
}

export interface StudyMatch {
  studyInstanceUid: string;
  accessionNumber: string | null;
  studyDate: string | null;
  studyTime: string | null;
  studyDescription: string | null;
  modalities: string[];
  series: number | null;
  instances: number | null;
}

export interface SeriesMatch {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  seriesNumber: number | null;
  modality: string | null;
  seriesDescription: string | null;
  instances: number | null;
}

export interface RetrieveResult {
  via: 'c-move' | 'wado-rs';
  instances: number;
  failed: number;
  caseId: string | null;
}
