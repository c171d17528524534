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
import { completeStudy, PACS_REFUSED, type StudyOutcome } from './receive-study.js';
import { StudyAssembler, type PendingStudy, type ReceiveSource, type ReceiveVia } from './study-assembler.js';

export type PacsLog = Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
type Log = PacsLog;

/** Someone waiting for one study of one organisation to be received (a C-MOVE import). */
interface StudyWaiter {
  orgId: string;
  /** The Study Instance UIDs it may be stored under (the original, or its replacement). */
  studyUids: ReadonlySet<string>;
  resolve: (outcome: StudyOutcome) => void;
}

export class PacsReceiver {
  readonly assembler: StudyAssembler;
  private readonly orgs = new Map<string, { at: number; org: { server_anonymise: boolean; anonymise_key: string } }>();
  private readonly waiters = new Set<StudyWaiter>();

  constructor(
    private readonly s: Services,
    readonly log: Log,
  ) {
    this.assembler = new StudyAssembler(s.config.pacsQuietSeconds * 1000, async (st) => {
      const outcome = await completeStudy(s, st, log);
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
    if (!r.ok) return r;
    return { ...r, studyKey: this.assembler.add(source, r.instance) };
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

  async close(): Promise<void> {
    const { dropped } = await this.assembler.close();
    if (dropped) this.log.warn({ studies: dropped }, 'server closing: PACS studies still being received were dropped (their senders got no case)');
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
