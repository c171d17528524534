/**
 * The receiving side shared by the DICOM listener and STOW-RS: one study assembler per
 * server (Services), instances checked on arrival, refusals recorded. Made on first use and
 * closed with the app (routes/dicomweb.ts registers the close).
 */
import type { FastifyBaseLogger } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Services } from '../context.js';
import { appendAudit } from '../audit/index.js';
import { errorForLog } from '../http/errors.js';
import { acceptInstance, type InstanceOutcome } from './receive-instance.js';
import { completeStudy, PACS_REFUSED, receiptFindings, type StudyOutcome } from './receive-study.js';
import { sopOf } from './receive-stow.js';
import { StudyAssembler, type PendingStudy, type ReceiveSource, type ReceiveVia } from './study-assembler.js';

export type PacsLog = Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
type Log = PacsLog;

/**
 * How long closing waits for the studies still within their quiet time to become cases. A
 * supervisor kills a process that takes too long to stop (systemd after 90 s, Docker after
 * 10 s by default); past this, each study left is recorded as lost instead.
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
}

export class PacsReceiver {
  readonly assembler: StudyAssembler;
  private readonly orgs = new Map<string, { at: number; org: { server_anonymise: boolean; anonymise_key: string } }>();
  private readonly waiters = new Set<StudyWaiter>();
  private readonly refusalWatchers = new Set<RefusalWatcher>();

  constructor(
    private readonly s: Services,
    readonly log: Log,
  ) {
    this.assembler = new StudyAssembler(s.config.pacsQuietSeconds * 1000, async (st) => {
      const outcome = await completeStudy(s, st, log);
      // Completed at shutdown and failed: its sender was told it was stored and will not send it again.
      if (st.cutShort && outcome.error) await this.auditLost(st, outcome.error);
      this.received(st, outcome);
    });
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
  watchRefusals(orgId: string, studyUids: readonly string[]): { refused: () => { count: number; first: readonly ImportRefusal[] }; cancel: () => void } {
    const w: RefusalWatcher = { orgId, studyUids: new Set(studyUids), refusals: [], count: 0 };
    this.refusalWatchers.add(w);
    return { refused: () => ({ count: w.count, first: w.refusals }), cancel: () => this.refusalWatchers.delete(w) };
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
    const org = await this.orgOf(source.route.org_id);
    const r = await acceptInstance(bytes, name, org);
    if (!r.ok) {
      this.refused(source, bytes, [], r.code, r.message);
      return r;
    }
    const added = this.assembler.add(source, r.instance);
    if (added.otherPatient) {
      // The reason starts with what is wrong: the listener answers it after the sender's SOP Instance UID (64 characters in all).
      const message = `another patient than the study's first instances (same Study Instance UID, another PatientID): ${name} refused, a study holds one patient`;
      // Stored under the (maybe replaced) Study Instance UID the assembler keys it by.
      this.refused(source, bytes, [r.instance.studyUid], 'OTHER_PATIENT', message);
      return { ok: false, code: 'OTHER_PATIENT', message, studyKey: added.key };
    }
    return { ...r, studyKey: added.key };
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
   * Closing: the studies still within their quiet time become cases now (PACS_COMPLETED_AT_SHUTDOWN);
   * one that cannot within CLOSE_COMPLETE_MS gets a failed reception and an audit entry, so
   * that instances acknowledged to a sender are never lost unseen.
   */
  async close(): Promise<void> {
    const { cutShort, unfinished } = await this.assembler.close(CLOSE_COMPLETE_MS);
    if (cutShort) this.log.warn({ studies: cutShort, unfinished: unfinished.length }, 'server closing: PACS studies still within their quiet time were completed now');
    for (const st of unfinished) {
      const error = `the server closed before this study's case was made (not within ${CLOSE_COMPLETE_MS / 1000} s): the ${st.instances.size} instance(s) the sender was told were stored are lost, have the study sent again`;
      this.log.error({ instances: st.instances.size, via: st.source.via, callingAe: st.source.callingAe }, 'server closing: a PACS study acknowledged to its sender could not be completed');
      try {
        await this.s.db
          .insertInto('pacs_receptions')
          .values({
            id: randomUUID(),
            org_id: st.source.route.org_id,
            route_id: st.source.route.id,
            via: st.source.via,
            calling_ae: st.source.callingAe,
            called_ae: st.source.calledAe,
            remote_address: st.source.remoteAddress,
            status: 'failed',
            instances: st.instances.size,
            refused_instances: st.refused,
            case_id: null,
            job_id: null,
            error,
            findings: JSON.stringify(receiptFindings(st)),
            completed_at: new Date(),
          })
          .execute();
      } catch (e) {
        this.log.error({ err: errorForLog(e) }, 'could not record a PACS study lost at shutdown');
      }
      await this.auditLost(st, error);
    }
  }

  /**
   * A study acknowledged to its sender that became no case at shutdown, audited with counts only
   * (no UID, no name). Under pacs-refused: AUDIT_ACTIONS has no entry of its own for it yet.
   */
  private async auditLost(st: PendingStudy, error: string): Promise<void> {
    try {
      await appendAudit(this.s, this.s.db, {
        action: 'pacs-lost',
        actor: null,
        orgId: st.source.route.org_id,
        details: { outcome: 'lost-at-shutdown', via: st.source.via, routeId: st.source.route.id, instances: st.instances.size, refusedInstances: st.refused, reason: error },
      });
    } catch (e) {
      this.log.error({ err: errorForLog(e) }, 'could not audit a PACS study lost at shutdown');
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
