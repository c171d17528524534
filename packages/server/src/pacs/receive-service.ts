/**
 * The receiving side shared by the DICOM listener and STOW-RS: one study assembler per
 * server (Services), instances checked on arrival, refusals recorded. Made on first use and
 * closed with the app (routes/dicomweb.ts registers the close). An instance is acknowledged
 * only once it is in the spool (spool.ts); when made, the receiver first takes back the studies
 * a killed predecessor left there, and no instance is taken before that is done. What is noted
 * against a study (refusals, another patient's instances, an interrupted association) is kept
 * in the spool too (keepNote); another patient's instance is answered only once that is done.
 */
import type { FastifyBaseLogger } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Services } from '../context.js';
import { appendAudit } from '../audit/index.js';
import { errorForLog } from '../http/errors.js';
import { acceptInstance, type AcceptedInstance, type InstanceOutcome } from './receive-instance.js';
import { completeStudy, PACS_REFUSED, type StudyOutcome } from './receive-study.js';
import { sopOf } from './receive-stow.js';
import { PacsSpool, StudyTakenOver } from './spool.js';
import { StudyAssembler, type PendingStudy, type ReceiveSource, type ReceiveVia, type StudyNote } from './study-assembler.js';

export type PacsLog = Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
type Log = PacsLog;

/**
 * How long closing waits for the studies still within their quiet time to become cases. A
 * supervisor kills a process that takes too long to stop (systemd after 90 s, Docker after
 * 10 s by default); past this, each study left stays in the spool for the next start.
 */
const CLOSE_COMPLETE_MS = 20_000;

/** Someone waiting for one study of one organisation to be received (a C-MOVE import). */
interface StudyWaiter {
  orgId: string;
  /** The Study Instance UIDs it may be stored under (the original, or its replacement). */
  studyUids: ReadonlySet<string>;
  resolve: (outcome: StudyOutcome) => void;
}

/** An instance the receiver refused, as a C-MOVE import tells its caller why nothing came of it. */
export interface ImportRefusal {
  code: string;
  message: string;
  /** The sender's SOP Instance UID: the caller asked for this study, so it names the instance to them. */
  sopInstanceUid: string | null;
}

/** Someone collecting the refusals of one organisation's instances of one study (a C-MOVE import). */
interface RefusalWatcher {
  orgId: string;
  studyUids: ReadonlySet<string>;
  /** The first refusals, and how many there were. */
  refusals: ImportRefusal[];
  count: number;
  /** Instances of the study taken (stored, acknowledged): they become a case whatever else was refused. */
  accepted: number;
}

export class PacsReceiver {
  readonly assembler: StudyAssembler;
  readonly spool: PacsSpool;
  /** Resolves once the studies a killed predecessor left in the spool are pending again (never rejects). */
  readonly ready: Promise<void>;
  private readonly orgs = new Map<string, { at: number; org: { server_anonymise: boolean; anonymise_key: string } }>();
  private readonly waiters = new Set<StudyWaiter>();
  private readonly refusalWatchers = new Set<RefusalWatcher>();
  /** Spooled studies being made into cases now (no longer pending): their lease is renewed too. */
  private readonly completing = new Set<string>();
  private readonly leaseTimer: NodeJS.Timeout;

  constructor(
    private readonly s: Services,
    readonly log: Log,
  ) {
    this.spool = new PacsSpool(s);
    this.assembler = new StudyAssembler(
      s.config.pacsQuietSeconds * 1000,
      async (st) => {
        this.completing.add(st.id);
        try {
          const outcome = await completeStudy(s, st, log, this.spool);
          // Another process took it over (this one stalled): that one completes it and answers for it.
          if (outcome.takenOver) return;
          // Completed at shutdown, or after a restart, and failed: its sender was told it was stored and will not send it again.
          if ((st.cutShort || st.recovered) && outcome.error && outcome.recorded) await this.auditLost(st, outcome.error);
          this.received(st, outcome);
        } finally {
          this.completing.delete(st.id);
        }
      },
      (st, note) => this.keepNote(st, note),
    );
    this.ready = this.takeOver(true);
    this.leaseTimer = setInterval(() => void this.tick(), (s.config.pacsSpoolLeaseSeconds * 1000) / 3);
    this.leaseTimer.unref();
  }

  /**
   * Studies left in the spool by a process that ended without completing them become pending
   * here: each ends after its quiet time counted from its last instance (at once when that
   * has passed), as it would have in the process that received it. `all`: embedded start.
   */
  private async takeOver(atStart: boolean): Promise<void> {
    try {
      const embedded = !this.s.config.databaseUrl;
      if (!atStart && embedded) return;
      const studies = await this.spool.claim(atStart && embedded);
      for (const st of studies) {
        if (!this.assembler.restore(st)) continue;
        this.log.warn(
          { instances: st.instances.size, unreadable: st.recovered?.unreadable ?? 0, via: st.source.via, callingAe: st.source.callingAe },
          'PACS study received before the server stopped without closing: taken back from the spool, it becomes a case after its quiet time',
        );
      }
      if (atStart && embedded) {
        const swept = await this.spool.sweep();
        if (swept) this.log.info({ studies: swept }, 'PACS spool: bytes of studies already recorded removed');
      }
    } catch (e) {
      this.log.error({ err: errorForLog(e) }, 'PACS spool: could not take back the studies left there (tried again at the next start)');
    }
  }

  /** Renews this process's leases; on PostgreSQL, takes over studies of processes that stopped renewing theirs. */
  private async tick(): Promise<void> {
    try {
      const lost = await this.spool.renew([...this.assembler.pendingIds(), ...this.completing]);
      // Not completed here (one completing finds out in its own transaction): the other process makes its case.
      for (const id of lost) if (this.assembler.forget(id)) this.takenOverWarning(id, 'its lease could not be renewed');
    } catch (e) {
      this.log.warn({ err: errorForLog(e) }, 'PACS spool: could not renew the leases of the studies being received');
    }
    await this.takeOver(false);
  }

  /**
   * The outcome of the next study of `orgId` stored under one of `studyUids`, once complete.
   * Registered before a C-MOVE starts, so that the import answers with its own study's case
   * and never with another study that the same PACS sent meanwhile. cancel() stops waiting.
   */
  expectStudy(orgId: string, studyUids: readonly string[]): { outcome: Promise<StudyOutcome>; cancel: () => void } {
    let waiter!: StudyWaiter;
    const outcome = new Promise<StudyOutcome>((resolve) => {
      waiter = { orgId, studyUids: new Set(studyUids), resolve };
    });
    this.waiters.add(waiter);
    return { outcome, cancel: () => this.waiters.delete(waiter) };
  }

  /**
   * Collects, from now until cancel(), the instances of `orgId`'s routes stored under one of
   * `studyUids` that offer() refuses: a C-MOVE whose instances we refused otherwise fails
   * without saying why (only the receptions list, an org-admin's, would).
   */
  watchRefusals(orgId: string, studyUids: readonly string[]): { refused: () => { count: number; first: readonly ImportRefusal[]; accepted: number }; cancel: () => void } {
    const w: RefusalWatcher = { orgId, studyUids: new Set(studyUids), refusals: [], count: 0, accepted: 0 };
    this.refusalWatchers.add(w);
    return { refused: () => ({ count: w.count, first: w.refusals, accepted: w.accepted }), cancel: () => this.refusalWatchers.delete(w) };
  }

  /** Counts an instance taken into `studyUid` (as stored) for those watching that study. */
  private acceptedInto(source: ReceiveSource, studyUid: string): void {
    for (const w of this.refusalWatchers) if (w.orgId === source.route.org_id && w.studyUids.has(studyUid)) w.accepted++;
  }

  private refused(source: ReceiveSource, bytes: Uint8Array, studyUids: (string | null)[], code: string, message: string): void {
    if (this.refusalWatchers.size === 0) return;
    // Read only when someone waits: the sender's own UIDs (the refused bytes are as it sent them).
    const sent = sopOf(bytes);
    for (const w of this.refusalWatchers) {
      if (w.orgId !== source.route.org_id || ![sent.studyUid, ...studyUids].some((u) => u !== null && w.studyUids.has(u))) continue;
      w.count++;
      // Enough to say why; a study of thousands refused for one reason need not list each.
      if (w.refusals.length < 5) w.refusals.push({ code, message, sopInstanceUid: sent.instanceUid });
    }
  }

  private received(st: PendingStudy, outcome: StudyOutcome): void {
    for (const w of this.waiters) {
      if (w.orgId !== st.source.route.org_id || !w.studyUids.has(st.studyUid)) continue;
      this.waiters.delete(w);
      w.resolve(outcome);
    }
  }

  /** One instance from a routed sender: checked (anonymised if the organisation says so) and added to its study, or refused. */
  async offer(source: ReceiveSource, bytes: Uint8Array, name: string): Promise<InstanceOutcome & { studyKey?: string }> {
    // A study taken back from the spool must be pending before its own instances, sent again, arrive.
    await this.ready;
    const org = await this.orgOf(source.route.org_id);
    const r = await acceptInstance(bytes, name, org);
    if (!r.ok) {
      this.refused(source, bytes, [], r.code, r.message);
      return r;
    }
    // A second turn when the study was taken over meanwhile: the instance starts a new study of the same key.
    for (let turn = 0; ; turn++) {
      const done = await this.store(source, r, bytes, name, turn < 2);
      if (done === 'taken-over') continue;
      return done;
    }
  }

  /** begin(), the spool, commit(): one accepted instance into its study, or refused; 'taken-over' (if `retry`): begin again. */
  private async store(
    source: ReceiveSource,
    r: { ok: true; instance: AcceptedInstance },
    bytes: Uint8Array,
    name: string,
    retry: boolean,
  ): Promise<(InstanceOutcome & { studyKey?: string }) | 'taken-over'> {
    const { study, otherPatient, noted } = this.assembler.begin(source, r.instance);
    if (otherPatient) {
      // Kept with the study before the sender hears of it: a kill after the answer must not lose it.
      await noted;
      // The reason starts with what is wrong: the listener answers it after the sender's SOP Instance UID (64 characters in all).
      const message = `another patient than the study's first instances (same Study Instance UID, another PatientID): ${name} refused, a study holds one patient`;
      // Stored under the (maybe replaced) Study Instance UID the assembler keys it by.
      this.refused(source, bytes, [r.instance.studyUid], 'OTHER_PATIENT', message);
      return { ok: false, code: 'OTHER_PATIENT', message, studyKey: study.key };
    }
    let row: string;
    try {
      row = await this.spool.put(study, r.instance);
    } catch (e) {
      if (e instanceof StudyTakenOver && retry) {
        if (this.assembler.abandon(study)) this.takenOverWarning(study.id, 'an instance of it arrived');
        return 'taken-over';
      }
      // Not acknowledged: the sender keeps it and may send it again.
      this.log.error({ err: errorForLog(e), via: source.via, callingAe: source.callingAe }, 'PACS instance could not be stored: refused');
      if (this.assembler.abort(study)) await this.spool.dropStudy(study).catch(() => {});
      const message = `${name}: could not be stored (the server's database or file store did not answer); send it again`;
      this.refused(source, bytes, [r.instance.studyUid], 'NOT_STORED', message);
      return { ok: false, code: 'NOT_STORED', message, studyKey: study.key };
    }
    const added = this.assembler.commit(study, r.instance, row);
    // The server closed while it was being stored: not part of a case, so not acknowledged. Unless the study was taken
    // over meanwhile (not dropped then): listed while it was this process's, the taker read it, and its case holds it.
    if (added === false && (await this.spool.drop(row, study.id).catch(() => true))) {
      return { ok: false, code: 'NOT_STORED', message: `${name}: the server is closing; send it again`, studyKey: study.key };
    }
    if (added && added.replaced) void this.spool.drop(added.replaced, study.id).catch(() => {});
    else this.acceptedInto(source, r.instance.studyUid);
    return { ...r, studyKey: study.key };
  }

  /** A pending study this process forgot: another process took it over after this one stalled past its lease. */
  private takenOverWarning(studyId: string, when: string): void {
    this.log.warn(
      { studyId, when },
      'PACS study taken over by another server process (this one stalled past its lease): that process makes its case of what it took; instances of the same study received here from now on become a new case, which names the first while it is open (PACS_DUPLICATE_STUDY)',
    );
  }

  /**
   * A note of a pending study, kept in the spool for a start after a kill. Never rejects: the
   * instance was refused (or the association ended) either way, and the study's receipt has the
   * note as long as this process lives; only a kill before its completion would lose it.
   */
  private async keepNote(st: PendingStudy, note: StudyNote): Promise<void> {
    try {
      await this.spool.note(st, note);
    } catch (e) {
      this.log.error(
        { err: errorForLog(e), kind: note.kind, count: note.count, via: st.source.via, callingAe: st.source.callingAe },
        'PACS spool: a note of a study being received (refusals, another patient, an interrupted transfer) could not be kept; a restart before the study completes would lose it from its receipt',
      );
    }
  }

  /**
   * A caller refused (unknown AE title or token) or a sender whose instances were all refused:
   * a reception row and an audit entry, never the instances themselves.
   */
  async recordRefusal(r: {
    orgId: string | null;
    routeId: string | null;
    via: ReceiveVia;
    callingAe: string | null;
    calledAe: string | null;
    remoteAddress: string | null;
    reason: string;
    refusedInstances?: number;
  }): Promise<void> {
    try {
      await this.s.db
        .insertInto('pacs_receptions')
        .values({
          id: randomUUID(),
          org_id: r.orgId,
          route_id: r.routeId,
          via: r.via,
          calling_ae: r.callingAe,
          called_ae: r.calledAe,
          remote_address: r.remoteAddress,
          status: 'refused',
          instances: 0,
          refused_instances: r.refusedInstances ?? 0,
          case_id: null,
          job_id: null,
          error: r.reason,
          findings: '[]',
          completed_at: new Date(),
        })
        .execute();
      await appendAudit(this.s, this.s.db, {
        action: PACS_REFUSED,
        actor: null,
        orgId: r.orgId,
        details: { via: r.via, callingAe: r.callingAe, calledAe: r.calledAe, remoteAddress: r.remoteAddress, reason: r.reason, refusedInstances: r.refusedInstances ?? 0 },
      });
    } catch (e) {
      this.log.error({ err: errorForLog(e) }, 'could not record a refused PACS caller');
    }
  }

  /**
   * Closing: the studies still within their quiet time become cases now (PACS_COMPLETED_AT_SHUTDOWN).
   * One that cannot within CLOSE_COMPLETE_MS stays in the spool: the next start makes its case.
   */
  async close(): Promise<void> {
    clearInterval(this.leaseTimer);
    await this.ready;
    const { cutShort, unfinished } = await this.assembler.close(CLOSE_COMPLETE_MS);
    if (cutShort) this.log.warn({ studies: cutShort, unfinished: unfinished.length }, 'server closing: PACS studies still within their quiet time were completed now');
    for (const st of unfinished) {
      this.log.error(
        { instances: st.instances.size, via: st.source.via, callingAe: st.source.callingAe },
        `server closing: a PACS study acknowledged to its sender was not made into a case within ${CLOSE_COMPLETE_MS / 1000} s; it stays in the spool and becomes a case when the server starts again`,
      );
    }
  }

  /**
   * A study acknowledged to its sender that became no case (at shutdown, or taken back after a
   * restart), audited with counts only (no UID, no name). Its failed reception says why.
   */
  private async auditLost(st: PendingStudy, error: string): Promise<void> {
    try {
      await appendAudit(this.s, this.s.db, {
        action: 'pacs-lost',
        actor: null,
        orgId: st.source.route.org_id,
        details: {
          outcome: st.recovered ? 'lost-after-restart' : 'lost-at-shutdown',
          via: st.source.via,
          routeId: st.source.route.id || null,
          instances: st.instances.size,
          refusedInstances: st.refused,
          reason: error,
        },
      });
    } catch (e) {
      this.log.error({ err: errorForLog(e) }, 'could not audit a PACS study that became no case');
    }
  }

  /** The organisation's anonymisation setting, read at most every 5 s (not once per instance). */
  private async orgOf(id: string): Promise<{ server_anonymise: boolean; anonymise_key: string }> {
    const hit = this.orgs.get(id);
    if (hit && Date.now() - hit.at < 5000) return hit.org;
    const org = await this.s.db.selectFrom('orgs').select(['server_anonymise', 'anonymise_key']).where('id', '=', id).executeTakeFirstOrThrow();
    this.orgs.set(id, { at: Date.now(), org });
    return org;
  }
}

const receivers = new WeakMap<Services, PacsReceiver>();

/** The server's receiver (made on first use with this logger). */
export function pacsReceiver(s: Services, log: Log): PacsReceiver {
  let r = receivers.get(s);
  if (!r) {
    r = new PacsReceiver(s, log);
    receivers.set(s, r);
  }
  return r;
}

/** Closes the server's receiver if one was made. */
export async function closePacsReceiver(s: Services): Promise<void> {
  const r = receivers.get(s);
  if (!r) return;
  receivers.delete(s);
  await r.close();
}

/**
 * Makes the server's receiver now, so that the studies a killed predecessor left in the spool
 * become cases without waiting for a sender (the listener does this when it starts); resolves
 * once they are pending again.
 */
export function startPacsReceiver(s: Services, log: Log): Promise<void> {
  return pacsReceiver(s, log).ready;
}
