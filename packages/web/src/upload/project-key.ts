/**
 * The organisation's project key for anonymisation, kept in this browser only (localStorage,
 * per organisation). Made with crypto.getRandomValues on first use. It never goes to the
 * server: with it, anyone could re-derive patient keys and UIDs from a name or an original UID.
 * The same key gives the same patient key for the same patient, so keep using this browser
 * (or copy the key to another one by hand) for a patient's later studies.
 */
const PREFIX = 's2p.projectKey.';
const KEY_BYTES = 32;

function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function fromHex(s: string): Uint8Array | null {
  if (!/^([0-9a-f]{2}){16,}$/i.test(s)) return null;
  return new Uint8Array(s.match(/../g)!.map((h) => parseInt(h, 16)));
}

export interface ProjectKey {
  key: Uint8Array;
  /** True when this call made it (first upload from this browser for the organisation). */
  created: boolean;
  /** A short, non-secret fingerprint to recognise the key (first bytes of its SHA-256). */
  fingerprint: string;
}

export async function projectKey(orgId: string | null): Promise<ProjectKey> {
  const name = PREFIX + (orgId ?? 'none');
  let key = fromHex(localStorage.getItem(name) ?? '');
  let created = false;
  if (!key) {
    key = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
    localStorage.setItem(name, toHex(key));
    created = true;
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', key as Uint8Array<ArrayBuffer>));
  return { key, created, fingerprint: toHex(digest.slice(0, 4)) };
}
