/**
 * DIMSE as an SCU, over dcmjs-dimse (a kept library for the protocol): one association per
 * call, its requests, and the outcome once the association ends. C-STORE of our own Part 10
 * files lives here; C-FIND and C-MOVE (query-dimse.ts) use the same association runner.
 *
 * Every way an association can end badly (refused connection, rejected association, a peer
 * that stops answering) becomes a PacsError naming the peer, never an unhandled event.
 */
import dcmjsDimse from 'dcmjs-dimse';

const { Client, Dataset, requests, constants, log: dimseLog } = dcmjsDimse;
const { Status } = constants;

export type DimseRequest = InstanceType<typeof requests.CStoreRequest> | InstanceType<typeof requests.CFindRequest> | InstanceType<typeof requests.CMoveRequest>;

export interface DimsePeer {
  host: string;
  port: number;
  aeTitle: string;
}

/** A PACS that could not be reached or refused: the message names the peer and what happened. */
export class PacsError extends Error {
  /**
   * The message as the server's log may hold it: `answer`, the PACS's own words quoted in the
   * message (an HTTP answer's start, a status's Error Comment), replaced by its length. A PACS
   * may echo what was asked for (a patient's name or ID searched) or name a patient in its error
   * text; the caller who asked sees it, the log, kept for months and read by others, does not.
   */
  readonly logged: string;

  constructor(
    readonly code: 'PACS_UNREACHABLE' | 'PACS_TIMEOUT' | 'PACS_REJECTED' | 'PACS_FAILED',
    message: string,
    answer?: string,
  ) {
    super(message);
    this.name = 'PacsError';
    this.logged = answer ? message.split(answer).join(`[the PACS's answer, ${answer.length} characters, not logged]`) : message;
  }
}

export const peerName = (p: DimsePeer) => `${p.aeTitle}@${p.host}:${p.port}`;

export interface AssociationOptions {
  /** Milliseconds to connect, and between PDUs (a big C-STORE or a slow C-MOVE keeps sending). Default 10 s / 120 s. */
  connectTimeout?: number;
  pduTimeout?: number;
}

/** Opens one association from `callingAe` to `peer`, runs `reqs`, resolves when it closed. */
export function runAssociation(peer: DimsePeer, callingAe: string, reqs: DimseRequest[], opts: AssociationOptions = {}): Promise<void> {
  // dcmjs-dimse logs every PDU to the console at its default level; errors reach the caller instead.
  dimseLog.setLevel('silent');
  return new Promise<void>((resolve, reject) => {
    const client = new Client();
    let failure: PacsError | undefined;
    let accepted = false;
    for (const r of reqs) client.addRequest(r);
    client.on('associationAccepted', () => {
      accepted = true;
    });
    client.on('associationRejected', (r: { result: number; source: number; reason: number }) => {
      failure = new PacsError('PACS_REJECTED', `${peerName(peer)} rejected the association from ${callingAe} (result ${r.result}, source ${r.source}, reason ${r.reason}): check the AE titles configured on both sides`);
    });
    client.on('networkError', (e: Error) => {
      failure ??= new PacsError(accepted ? 'PACS_FAILED' : 'PACS_UNREACHABLE', `${peerName(peer)}: ${accepted ? 'the association broke' : 'could not connect'} (${e.message})`);
      // Not every network error is followed by 'closed' (a refused connection): settle now.
      reject(failure);
    });
    client.on('closed', () => (failure ? reject(failure) : resolve()));
    try {
      client.send(peer.host, peer.port, callingAe, peer.aeTitle, { connectTimeout: opts.connectTimeout ?? 10_000, associationTimeout: opts.connectTimeout ?? 10_000, pduTimeout: opts.pduTimeout ?? 120_000 });
    } catch (e) {
      reject(new PacsError('PACS_UNREACHABLE', `${peerName(peer)}: ${(e as Error).message}`));
    }
  });
}

/** DIMSE status classes (PS3.7 Annex C): 0 success, 0xB000–0xBFFF (and 0x0107, 0x0116) warnings. */
export function statusClass(status: number): 'success' | 'warning' | 'pending' | 'cancel' | 'failure' {
  if (status === Status.Success) return 'success';
  if (status === Status.Pending || status === 0xff01) return 'pending';
  if (status === Status.Cancel) return 'cancel';
  if ((status & 0xf000) === 0xb000 || status === 0x0107 || status === 0x0116) return 'warning';
  return 'failure';
}

/**
 * The data set of a Part 10 file and its transfer syntax: dcmjs-dimse's Dataset takes a bare
 * data set (a Buffer given to it is not read as Part 10), so the preamble and the File Meta
 * group (always Explicit VR Little Endian) are walked here.
 */
export function splitPart10(bytes: Uint8Array, name: string): { dataset: Buffer; transferSyntaxUid: string } {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 144 || b.toString('latin1', 128, 132) !== 'DICM') throw new PacsError('PACS_FAILED', `${name}: not a DICOM Part 10 file (no DICM)`);
  let at = 132;
  let ts = '';
  while (at + 8 <= b.length && b.readUInt16LE(at) === 0x0002) {
    const elem = b.readUInt16LE(at + 2);
    const vr = b.toString('latin1', at + 4, at + 6);
    const long = ['OB', 'OW', 'OF', 'SQ', 'UT', 'UN', 'UC', 'UR'].includes(vr);
    const len = long ? b.readUInt32LE(at + 8) : b.readUInt16LE(at + 6);
    const value = at + (long ? 12 : 8);
    if (value + len > b.length) throw new PacsError('PACS_FAILED', `${name}: the file meta group runs past the end of the file`);
    if (elem === 0x0010) ts = b.toString('latin1', value, value + len).replace(/[\0\s]+$/, '');
    at = value + len;
  }
  if (!ts) throw new PacsError('PACS_FAILED', `${name}: no Transfer Syntax UID in the file meta group`);
  return { dataset: b.subarray(at), transferSyntaxUid: ts };
}

export interface StoreOutcome {
  sopInstanceUid: string;
  status: number;
  ok: boolean;
  comment?: string;
}

/**
 * C-STORE of Part 10 files on one association. Each file's outcome (success and warnings
 * count as stored); a file the peer never answered (its presentation context refused) is a failure.
 */
export async function cStore(peer: DimsePeer, callingAe: string, files: { bytes: Uint8Array; sopInstanceUid: string }[], opts: AssociationOptions = {}): Promise<StoreOutcome[]> {
  const outcomes = new Map<string, StoreOutcome>();
  const reqs = files.map((f) => {
    const { dataset, transferSyntaxUid } = splitPart10(f.bytes, f.sopInstanceUid);
    const ds = new Dataset(dataset, transferSyntaxUid);
    // dcmjs leaves a data set it could not read empty; sending it would fail inside the association request.
    if (!ds.getElement('SOPClassUID')) throw new PacsError('PACS_FAILED', `${f.sopInstanceUid}: the DICOM object could not be read for sending`);
    const req = new requests.CStoreRequest(ds);
    req.on('response', (res: { getStatus(): number; getErrorComment(): string }) => {
      const status = res.getStatus();
      const cls = statusClass(status);
      const comment = res.getErrorComment?.();
      outcomes.set(f.sopInstanceUid, { sopInstanceUid: f.sopInstanceUid, status, ok: cls === 'success' || cls === 'warning', ...(comment ? { comment } : {}) });
    });
    return req;
  });
  await runAssociation(peer, callingAe, reqs, opts);
  return files.map((f) => outcomes.get(f.sopInstanceUid) ?? { sopInstanceUid: f.sopInstanceUid, status: 0x0122, ok: false, comment: 'no answer: the peer did not accept this SOP class' });
}
