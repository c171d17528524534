/**
 * The DICOM listener: C-ECHO and C-STORE SCP over dcmjs-dimse's Scp (a kept library for the
 * DIMSE protocol), on its own net.Server so it binds where the API binds, reports the port it
 * got (0 = a free one) and closes every association when the server closes.
 *
 * An association is routed before it is accepted (routing.ts): an unknown calling AE title is
 * rejected (calling AE not recognised), recorded and audited. Each instance is checked on
 * arrival (receive-service.ts) and answered: success, or a failure status naming why
 * (identifiable while the organisation does not anonymise, not DICOM). A refusal is kept (the
 * spool) against every study the association touched before it is answered, and a study it
 * touches later gets the earlier ones first: a kill before the association ends loses none from
 * a receipt. Nothing a peer sends may stop the server: every handler catches, and a broken
 * association is just closed.
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import dcmjsDimse from 'dcmjs-dimse';
import type { FastifyBaseLogger } from 'fastify';
import type { Services } from '../context.js';
import { errorForLog } from '../http/errors.js';
import { heldUntil } from './association-hold.js';
import { part10 } from './receive-instance.js';
import { pacsReceiver, type PacsReceiver } from './receive-service.js';
import { routeForAssociation, type PacsRoute } from './routing.js';
import { countRefusal, senderRefusals, type SenderRefusals } from './study-assembler.js';

const { Scp, Dataset, constants, responses, log: dimseLog } = dcmjsDimse;
const { Status, PresentationContextResult, RejectResult, RejectSource, RejectReason, SopClass, TransferSyntax } = constants;
const { CEchoResponse, CStoreResponse } = responses;

type Log = Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
type Association = InstanceType<typeof dcmjsDimse.association.Association>;
type PresentationContext = InstanceType<typeof dcmjsDimse.association.PresentationContext>;
type CEchoRequest = InstanceType<typeof dcmjsDimse.requests.CEchoRequest>;
type CStoreRequest = InstanceType<typeof dcmjsDimse.requests.CStoreRequest>;
type DimseDataset = InstanceType<typeof Dataset>;

/**
 * Transfer syntaxes taken, in order of preference: the uncompressed ones, then those core
 * decodes (JPEG lossless, baseline and extended, JPEG-LS, JPEG 2000, RLE). Deflate is not
 * offered: the sender then uses another it proposed.
 */
const SYNTAXES = [
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.ImplicitVRLittleEndian,
  '1.2.840.10008.1.2.4.70',
  '1.2.840.10008.1.2.4.57',
  '1.2.840.10008.1.2.4.80',
  '1.2.840.10008.1.2.4.81',
  '1.2.840.10008.1.2.4.90',
  '1.2.840.10008.1.2.4.91',
  '1.2.840.10008.1.2.4.50',
  '1.2.840.10008.1.2.4.51',
  '1.2.840.10008.1.2.5',
  TransferSyntax.ExplicitVRBigEndian,
];

/** Query/retrieve and other services this listener does not offer (storage and verification only). */
const NOT_STORAGE = /^1\.2\.840\.10008\.5\.1\.4\.1\.2\.|^1\.2\.840\.10008\.5\.1\.4\.31|^1\.2\.840\.10008\.5\.1\.4\.32|^1\.2\.840\.10008\.3\.1\.|^1\.2\.840\.10008\.5\.1\.1\./;

export interface DicomListener {
  port: number;
  aeTitle: string;
  /** Associations open now. */
  readonly associations: number;
  close(): Promise<void>;
}

export interface ListenerOptions {
  host: string;
  port: number;
  aeTitle: string;
  /** An association silent this long is closed (dcmjs-dimse's pduTimeout); default 60 s. */
  idleTimeoutMs?: number;
}

/** What one association carries: its route, the studies it added to, what it refused. */
interface AssociationState {
  route?: PacsRoute;
  callingAe: string;
  calledAe: string;
  remote: string;
  studies: Set<string>;
  received: number;
  /** What it refused, and what each of its studies was told of that (noted before each answer). */
  refusals: SenderRefusals;
  released: boolean;
  /** Our idle timeout (pduTimeout) closed it. */
  idleClosed: boolean;
  /** C-STOREs being answered now, and when the last answer (or C-ECHO) was given: every started instance completed? */
  storing: number;
  lastDoneAt: number;
  /** The study of the last instance added from here, when it was added and when bytes last arrived (association-hold.ts). */
  lastStudy?: string;
  lastInstanceAt: number;
  lastDataAt: number;
}

/** The bytes of one C-STORE data set, gathered as they arrive (dcmjs would otherwise parse them into a Dataset). */
class Gather extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.chunks.push(chunk);
    done();
  }
}

/** Raw bytes of the data sets handed to cStoreRequest (the Dataset given to it carries none). */
const rawOf = new WeakMap<object, Uint8Array>();

function makeScpClass(receiver: PacsReceiver, s: Services, opts: ListenerOptions, log: Log) {
  return class ReceiveScp extends Scp {
    readonly state: AssociationState;

    private readonly conn: Socket;

    constructor(socket: Socket, o?: ConstructorParameters<typeof Scp>[1]) {
      super(socket, o);
      this.conn = socket;
      this.state = {
        callingAe: '', calledAe: '', remote: socket.remoteAddress ?? '', studies: new Set(), received: 0, refusals: senderRefusals(),
        released: false, idleClosed: false, storing: 0, lastDoneAt: 0, lastInstanceAt: 0, lastDataAt: 0,
      };
      socket.on('data', () => {
        this.state.lastDataAt = Date.now();
      });
      this.on('close', () => this.ended());
    }

    override associationRequested(association: Association): void {
      this.state.callingAe = association.getCallingAeTitle().trim();
      this.state.calledAe = association.getCalledAeTitle().trim();
      void this.route(association);
    }

    private async route(association: Association): Promise<void> {
      const st = this.state;
      try {
        const r = await routeForAssociation(s.db, st.callingAe, st.calledAe, opts.aeTitle);
        if ('refused' in r) {
          const reason = r.refused === 'calling-ae' ? RejectReason.CallingAeNotRecognized : RejectReason.CalledAeNotRecognized;
          this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, reason);
          const why = r.refused === 'calling-ae' ? `calling AE title ${JSON.stringify(st.callingAe)} not recognised` : `called AE title ${JSON.stringify(st.calledAe)} not served to this caller`;
          log.warn({ callingAe: st.callingAe, calledAe: st.calledAe, remote: st.remote }, `DICOM association rejected: ${why}`);
          await receiver.recordRefusal({ orgId: null, routeId: null, via: 'c-store', callingAe: st.callingAe, calledAe: st.calledAe, remoteAddress: st.remote, reason: why });
          return;
        }
        st.route = r.route;
        for (const c of association.getPresentationContexts()) {
          const ctx: PresentationContext = association.getPresentationContext(c.id);
          const abstract = ctx.getAbstractSyntaxUid();
          if (abstract !== SopClass.Verification && NOT_STORAGE.test(abstract)) {
            ctx.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
            continue;
          }
          const offered = ctx.getTransferSyntaxUids();
          const pick = SYNTAXES.find((t) => offered.includes(t));
          if (pick) ctx.setResult(PresentationContextResult.Accept, pick);
          else ctx.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
        }
        this.sendAssociationAccept();
      } catch (e) {
        log.error({ err: errorForLog(e), callingAe: st.callingAe }, 'DICOM association could not be routed (database?): rejected for now');
        try {
          this.sendAssociationReject(RejectResult.Transient, RejectSource.ServiceUser, RejectReason.NoReasonGiven);
        } catch {
          /* the peer is gone */
        }
      }
    }

    override associationReleaseRequested(): void {
      this.state.released = true;
      this.sendAssociationReleaseResponse();
    }

    /**
     * The sender aborted the association (A-ABORT): it is over, so the connection is closed now
     * (PS3.8 9.1.1.2: after an A-ABORT either side may close it). dcmjs-dimse's default only logs,
     * which left the connection open until the sender dropped it (storescu waits its ACSE timeout,
     * 30 s): meanwhile the association held its studies (HOLD_QUIET_TIMES) and what it noted
     * against them (refusals, the interruption) was not counted, so with a short quiet time a
     * study became a case before its receipt knew it was incomplete.
     */
    override abort(source: number, reason: number): void {
      log.info({ callingAe: this.state.callingAe, source, reason, received: this.state.received }, 'DICOM association aborted by its sender: connection closed');
      this.conn.destroy();
    }

    override cEchoRequest(request: CEchoRequest, callback: (response: InstanceType<typeof CEchoResponse>) => void): void {
      const response = CEchoResponse.fromRequest(request);
      response.setStatus(Status.Success);
      this.state.lastDoneAt = Date.now();
      callback(response);
    }

    override createStoreWritableStream(): Writable {
      return new Gather();
    }

    override createDatasetFromStoreWritableStream(writable: Writable, ctx: PresentationContext, callback: (dataset: DimseDataset) => void): void {
      const ds = new Dataset({}, ctx.getAcceptedTransferSyntaxUid());
      const chunks = (writable as Gather).chunks;
      const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      rawOf.set(ds, new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
      chunks.length = 0;
      callback(ds);
    }

    override cStoreRequest(request: CStoreRequest, callback: (response: InstanceType<typeof CStoreResponse>) => void): void {
      this.state.storing++;
      void this.store(request)
        .finally(() => {
          this.state.storing--;
          this.state.lastDoneAt = Date.now();
        })
        .then(
          (status) => callback(status),
          (e: unknown) => {
            log.error({ err: errorForLog(e) }, 'C-STORE failed');
            const r = CStoreResponse.fromRequest(request);
            r.setStatus(Status.ProcessingFailure);
            callback(r);
          },
        );
    }

    private async store(request: CStoreRequest): Promise<InstanceType<typeof CStoreResponse>> {
      const response = CStoreResponse.fromRequest(request);
      const st = this.state;
      const ds = request.getDataset();
      const raw = ds ? rawOf.get(ds) : undefined;
      const route = st.route;
      if (!route || !raw) {
        response.setStatus(Status.ProcessingFailure);
        return response;
      }
      const sopInstanceUid = request.getAffectedSopInstanceUid();
      const file = part10(raw, { sopClassUid: request.getAffectedSopClassUid(), sopInstanceUid, transferSyntaxUid: ds!.getTransferSyntaxUid() });
      // The SOP Instance UID may identify (it is replaced when anonymised): the name says only where it came from.
      const name = `C-STORE instance ${st.received + st.refusals.count + 1} from ${st.callingAe}`;
      const outcome = await receiver.offer({ route, via: 'c-store', callingAe: st.callingAe, calledAe: st.calledAe, remoteAddress: st.remote }, file, name);
      if (outcome.ok) {
        st.received++;
        if (outcome.studyKey) {
          st.studies.add(outcome.studyKey);
          st.lastStudy = outcome.studyKey;
          st.lastInstanceAt = Date.now();
          // A study first touched after refusals: they count against it too, kept before this answer.
          await receiver.assembler.noteRefusedSince([outcome.studyKey], st.refusals);
        }
        response.setStatus(Status.Success);
      } else {
        // Another patient's instance of a study this association sent: its refusals are counted against that study.
        if (outcome.studyKey) st.studies.add(outcome.studyKey);
        // The reception keeps the whole reason, naming the instance by its ordinal (its UID may identify).
        countRefusal(st.refusals, `${outcome.code}: ${outcome.message}`);
        // Noted against every study of the association before the sender hears of it: a kill
        // before the association ends must not recover a study without its refusals.
        await receiver.assembler.noteRefusedSince(st.studies, st.refusals);
        // 0xA9xx "data set does not match SOP class" would be wrong; 0xC000 "cannot understand" is the general refusal.
        response.setStatus(outcome.code === 'IDENTIFIABLE' ? Status.NotAuthorized : Status.ProcessingFailure);
        response.setErrorComment(errorComment(sopInstanceUid, outcome.code, outcome.message, name));
      }
      return response;
    }

    /** The connection closed: without a release, the studies it carried may be incomplete. */
    private ended(): void {
      const st = this.state;
      if (!st.route) return;
      // Closed by our own idle timeout after every instance it started was answered: a sender slow to
      // release (or one that keeps associations open), not an interrupted transfer.
      const idleAfterComplete = st.idleClosed && st.storing === 0 && st.lastDataAt <= st.lastDoneAt;
      if (!st.released && st.studies.size && idleAfterComplete) {
        log.info({ callingAe: st.callingAe, received: st.received }, 'DICOM association closed idle after its last complete instance (no release): the study is not marked interrupted');
      } else if (!st.released && st.studies.size) {
        void receiver.assembler.noteInterrupted(st.studies, `association from ${st.callingAe} ended without a release`);
        log.warn({ callingAe: st.callingAe, received: st.received }, 'DICOM association ended without a release (transfer interrupted)');
      }
      const r = st.refusals;
      if (r.count) {
        // Each refusal was noted when answered: this only tells a study begun under one of these
        // keys since (its earlier reception completed meanwhile), as the end always did.
        void receiver.assembler.noteRefusedSince(st.studies, r);
        if (st.received === 0) {
          void receiver.recordRefusal({
            orgId: st.route.org_id,
            routeId: st.route.id,
            via: 'c-store',
            callingAe: st.callingAe,
            calledAe: st.calledAe,
            remoteAddress: st.remote,
            reason: r.reasons[0] ?? 'instances refused',
            refusedInstances: r.count,
          });
        }
      }
    }
  };
}

/**
 * A C-STORE refusal's Error Comment (LO: 64 characters at most): the reason's code and the
 * sender's own SOP Instance UID (its identifier, answered to it only: never logged or kept)
 * first, so that the cut falls on the detail; our ordinal of the instance (`name`) is left
 * out. A UID too long to follow the code whole (they reach 64 characters) is left out rather
 * than cut: the response's Affected SOP Instance UID (0000,1000) names the instance anyway.
 */
export function errorComment(sopInstanceUid: string, code: string, message: string, name: string): string {
  const detail = message.startsWith(`${name}: `) ? message.slice(name.length + 2) : message;
  const uid = sopInstanceUid.trim();
  const head = uid && code.length + 1 + uid.length <= 64 ? `${code} ${uid}` : code;
  return `${head}: ${detail}`.slice(0, 64);
}

/** How long an open, idle association holds the study it sent last: this many quiet times after its last instance. */
const HOLD_QUIET_TIMES = 10;

export async function startDicomListener(s: Services, opts: ListenerOptions, log: Log): Promise<DicomListener> {
  // dcmjs-dimse logs every PDU to the console at its default level; the server logs what matters itself.
  dimseLog.setLevel('silent');
  const receiver = pacsReceiver(s, log);
  const ScpClass = makeScpClass(receiver, s, opts, log);
  const clients = new Set<InstanceType<typeof ScpClass>>();
  // A study is not quiet while the association that sent its last instance is still sending or open.
  const holdMs = HOLD_QUIET_TIMES * s.config.pacsQuietSeconds * 1000;
  const unwatch = receiver.assembler.watch((key) => heldUntil([...clients].map((c) => c.state), key, Date.now(), holdMs));
  const sockets = new Set<Socket>();
  const server: NetServer = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A socket error (reset by the peer) must not become an uncaught exception.
    socket.on('error', () => socket.destroy());
    try {
      const scp = new ScpClass(socket, { associationTimeout: 30_000, pduTimeout: opts.idleTimeoutMs ?? 60_000 });
      (scp as unknown as { connected: boolean }).connected = true;
      clients.add(scp);
      scp.on('networkError', (e: Error) => {
        // dcmjs-dimse's own wording for its pduTimeout (it sends an A-ABORT, then this).
        if (/Exceeded PDU timeout/.test(e.message)) scp.state.idleClosed = true;
        log.warn({ err: errorForLog(e), callingAe: scp.state.callingAe }, 'DICOM association: network error, closing it');
        socket.destroy();
      });
      scp.on('close', () => clients.delete(scp));
    } catch (e) {
      log.error({ err: errorForLog(e) }, 'DICOM association could not be set up');
      socket.destroy();
    }
  });
  server.on('error', (e) => log.error({ err: errorForLog(e) }, 'DICOM listener error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  log.info({ port, aeTitle: opts.aeTitle, host: opts.host }, 'DICOM listener started (C-ECHO, C-STORE)');
  return {
    port,
    aeTitle: opts.aeTitle,
    get associations() {
      return clients.size;
    },
    async close() {
      unwatch();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const sock of sockets) sock.destroy();
      await closed;
    },
  };
}
