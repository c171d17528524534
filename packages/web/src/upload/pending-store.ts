/**
 * An upload that has not finished, kept in IndexedDB so that a reload (or a closed tab) can
 * resume it: the anonymised zip itself (never the originals) and the tus upload URL.
 * One pending upload per user of the browser profile (keyed by the user's id): another user
 * logging in on the same browser neither sees it nor, by a failed resume, discards it.
 * Starting a new one replaces the user's own.
 */
const DB = 's2p-upload';
const STORE = 'pending';
/** The one entry of earlier versions, whoever made it: never shown, removed when read. */
const UNOWNED = 'current';
const keyOf = (owner: string): string => `user:${owner}`;

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

export async function loadPending(owner: string): Promise<PendingUpload | null> {
  await tx('readwrite', (s) => s.delete(UNOWNED));
  return (await tx<PendingUpload | undefined>('readonly', (s) => s.get(keyOf(owner)))) ?? null;
}

export async function savePending(owner: string, p: PendingUpload): Promise<void> {
  await tx('readwrite', (s) => s.put(p, keyOf(owner)));
}

export async function setPendingUrl(owner: string, uploadUrl: string): Promise<void> {
  const p = await loadPending(owner);
  if (p) await savePending(owner, { ...p, uploadUrl });
}

export async function clearPending(owner: string): Promise<void> {
  await tx('readwrite', (s) => s.delete(keyOf(owner)));
}
