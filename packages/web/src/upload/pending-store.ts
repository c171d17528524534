/**
 * An upload that has not finished, kept in IndexedDB so that a reload (or a closed tab) can
 * resume it: the anonymised zip itself (never the originals) and the tus upload URL.
 * One pending upload per browser profile and origin; starting a new one replaces it.
 */
const DB = 's2p-upload';
const STORE = 'pending';
const ID = 'current';

export interface PendingUpload {
  caseId: string;
  zip: Blob;
  /** The tus upload's URL once the server created it (resume asks it for the offset). */
  uploadUrl: string | null;
  files: number;
  createdAt: string;
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB could not be opened'));
  });
}

async function tx<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const req = fn(t.objectStore(STORE));
      t.oncomplete = () => resolve(req.result as T);
      t.onerror = () => reject(t.error ?? new Error('IndexedDB transaction failed'));
    });
  } finally {
    db.close();
  }
}

export async function loadPending(): Promise<PendingUpload | null> {
  return (await tx<PendingUpload | undefined>('readonly', (s) => s.get(ID))) ?? null;
}

export async function savePending(p: PendingUpload): Promise<void> {
  await tx('readwrite', (s) => s.put(p, ID));
}

export async function setPendingUrl(uploadUrl: string): Promise<void> {
  const p = await loadPending();
  if (p) await savePending({ ...p, uploadUrl });
}

export async function clearPending(): Promise<void> {
  await tx('readwrite', (s) => s.delete(ID));
}
