/**
 * Received instances grouped into studies, in memory, until a study is complete: no new
 * instance for `quietMs` (DICOM says nothing about how many instances a sender will send,
 * so silence is the only end a listener can see). Silence is judged after this process has
 * read what waited for it (see settle) and counts bytes still arriving on a connection whose
 * last instance was of the study (watch): a stalled server or a slow instance is not an end.
 * Keyed by route and (anonymised) Study
 * Instance UID: two organisations sending the same study get a case each. A study holds one
 * patient: its first instance's (anonymised) PatientID is kept with it, and an instance of
 * another patient under the same Study Instance UID is refused, not merged into that
 * patient's case (a clinical record of two patients is worse than a refused instance).
 * Completion hands the study over once; an instance arriving after that starts a new reception.
 * An instance is added in two steps when it is kept on disk before it is acknowledged
 * (receive-service.ts, spool.ts): begin() finds its study, commit() adds it once stored; a
 * study with an instance between the two does not end (its completion would miss it).
 * What is noted against a study besides its instances (refusals, another patient's instances,
 * an interrupted association: StudyNote) is handed to `keep` too (the spool), so that a study
 * taken back after a kill has the same receipt; applyNote counts a note, live or read back.
 */
import { randomUUID } from 'node:crypto';
import { within } from '../http/within.js';
import type { AcceptedInstance } from './receive-instance.js';
import type { PacsRoute } from './routing.js';

export type ReceiveVia = 'c-store' | 'stow-rs';

export interface ReceiveSource {
  route: PacsRoute;
  via: ReceiveVia;
  callingAe: string | null;
  calledAe: string | null;
  remoteAddress: string | null;
}

export interface PendingStudy {
  /** The spool's id of the study (spool.ts): also its reception's and its case's id. */
  id: string;
  key: string;
  source: ReceiveSource;
  studyUid: string;
  /** The patient of the study's first instance (AcceptedInstance.patientKey: in memory only). */
  patientKey: string;
  /** Instances of another patient under this Study Instance UID, refused. */
  otherPatient: number;
  /** Completed when the server closed, before its quiet time had passed. */
  cutShort: boolean;
  /**
   * Found in the spool when the server started: its previous process ended (killed, power
   * lost) before the study was complete; `unreadable` instances of it could not be taken back.
   */
  recovered: { unreadable: number } | null;
  /** Instances between begin() and commit() or abort(): being stored. */
  inflight: number;
  /** The spool row of each instance (by the instances' key): a resent instance's old row goes. */
  spoolRows: Map<string, string>;
  /** By SOP Instance UID (a resent instance replaces the first). */
  instances: Map<string, AcceptedInstance>;
  /** Instances of this study's senders refused (identifiable, unreadable), with the first reasons. */
  refused: number;
  refusals: string[];
  /** An association carrying instances of this study ended without a release (aborted, dropped). */
  interrupted: string[];
  firstAt: number;
  lastAt: number;
  bytes: number;
}

/**
 * Something noted against a study besides its instances, as kept in the spool and replayed
 * from it (0015-pacs-spool-notes). 'refused': `count` instances of its senders refused, for
 * `reasons`; 'other-patient': `count` instances of another patient refused (their reasons come
 * with the sender's 'refused' note); 'interrupted': reasons[0] names the association.
 */
export interface StudyNote {
  kind: 'refused' | 'other-patient' | 'interrupted';
  count: number;
  reasons: string[];
}

/** Counts a note into its study: the one place these counters change, live or read back from the spool. */
export function applyNote(st: PendingStudy, note: StudyNote): void {
  if (note.kind === 'other-patient') st.otherPatient += note.count;
  else if (note.kind === 'interrupted') st.interrupted.push(...note.reasons.slice(0, 1));
  else {
    st.refused += note.count;
    for (const r of note.reasons) if (st.refusals.length < 5) st.refusals.push(r);
  }
}

/**
 * What one sender (a DICOM association) refused so far, and what each study it touched was
 * told of it: StudyAssembler.noteRefusedSince notes only the difference, so that a refusal
 * is noted once per study however often the sender's studies are brought up to date.
 */
export interface SenderRefusals {
  count: number;
  /** The first reasons, at most 5 (a study's receipt keeps 5). */
  reasons: string[];
  /** Per study, the count and the number of reasons already noted against it. */
  told: WeakMap<PendingStudy, { count: number; reasons: number }>;
}

export const senderRefusals = (): SenderRefusals => ({ count: 0, reasons: [], told: new WeakMap() });

/** One more refusal of the sender: counted, its reason kept while fewer than 5 are. */
export function countRefusal(r: SenderRefusals, reason: string): void {
  r.count++;
  if (r.reasons.length < 5) r.reasons.push(reason);
}

/** Keeps a note of a pending study (the spool); resolves when kept or given up, never rejects. */
export type KeepNote = (study: PendingStudy, note: StudyNote) => Promise<void>;

/**
 * When bytes last arrived (Date.now() ms, 0 for never) on an open connection whose last
 * instance was of study `key`: the next instance may be on its way there.
 */
export type StudyActivity = (key: string) => number;

export class StudyAssembler {
  private readonly pending = new Map<string, PendingStudy>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private readonly activity = new Set<StudyActivity>();
  private readonly drainWaiters: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly quietMs: number,
    private readonly complete: (study: PendingStudy) => Promise<void>,
    private readonly keep?: KeepNote,
  ) {}

  /**
   * Adds an instance; the study's quiet timer starts again. Returns the study's key, and
   * otherPatient when the instance was refused as another patient's than the study's first.
   */
  add(source: ReceiveSource, inst: AcceptedInstance): { key: string; otherPatient: boolean } {
    const { study, otherPatient } = this.begin(source, inst);
    if (!otherPatient) this.commit(study, inst);
    return { key: study.key, otherPatient };
  }

  /**
   * The study an instance joins, started when there is none; otherPatient (and nothing else
   * changed but the study's count of those) when the instance is another patient's than the
   * study's first; `noted` resolves once that is kept (before its sender is answered). Else the
   * instance is under way: commit() or abort() follows.
   */
  begin(source: ReceiveSource, inst: AcceptedInstance): { study: PendingStudy; otherPatient: boolean; noted?: Promise<void> } {
    if (this.closed) throw new Error('the PACS receiver is closed');
    const key = `${source.route.id}|${inst.studyUid}`;
    let st = this.pending.get(key);
    if (!st) {
      st = {
        id: randomUUID(), key, source, studyUid: inst.studyUid, patientKey: inst.patientKey, otherPatient: 0, cutShort: false, recovered: null,
        inflight: 0, spoolRows: new Map(), instances: new Map(), refused: 0, refusals: [], interrupted: [], firstAt: Date.now(), lastAt: Date.now(), bytes: 0,
      };
      this.pending.set(key, st);
    }
    if (inst.patientKey !== st.patientKey) {
      return { study: st, otherPatient: true, noted: this.note(st, { kind: 'other-patient', count: 1, reasons: [] }) };
    }
    st.inflight++;
    return { study: st, otherPatient: false };
  }

  /**
   * The instance begun is stored: it joins its study. Returns the spool row of the instance it
   * replaces (the same SOP Instance UID sent again), if any. False for a study no longer
   * pending (the server closed meanwhile): the instance is not part of it.
   */
  commit(st: PendingStudy, inst: AcceptedInstance, spoolRow?: string): { replaced?: string } | false {
    st.inflight--;
    this.drained();
    if (this.pending.get(st.key) !== st) return false;
    const id = inst.sopUid ?? `#${st.instances.size}`;
    const before = st.instances.get(id);
    if (before) st.bytes -= before.bytes.length;
    st.instances.set(id, inst);
    st.bytes += inst.bytes.length;
    st.lastAt = Date.now();
    const replaced = st.spoolRows.get(id);
    if (spoolRow) st.spoolRows.set(id, spoolRow);
    this.arm(st.key);
    return replaced !== undefined && replaced !== spoolRow ? { replaced } : {};
  }

  /** The instance begun could not be stored. True when that left its study empty: it is dropped. */
  abort(st: PendingStudy): boolean {
    st.inflight--;
    this.drained();
    if (this.pending.get(st.key) !== st) return false;
    if (st.instances.size || st.inflight) {
      // settle() may have passed while it was under way: the study's end is judged again.
      if (!this.timers.has(st.key)) this.arm(st.key);
      return false;
    }
    this.pending.delete(st.key);
    const t = this.timers.get(st.key);
    if (t) clearTimeout(t);
    this.timers.delete(st.key);
    return true;
  }

  /**
   * The instance begun was not stored because its study was taken over by another process
   * (this one stalled past its lease): the study is no longer pending here, so the instance,
   * begun again, starts a new one. True when this call forgot it (the first to find out).
   */
  abandon(st: PendingStudy): boolean {
    st.inflight--;
    this.drained();
    return this.forget(st.id) === st;
  }

  /** A study taken over by another process: no longer pending here, never completed by this one. Returns it if it was pending. */
  forget(id: string): PendingStudy | undefined {
    const st = [...this.pending.values()].find((p) => p.id === id);
    if (!st) return undefined;
    this.pending.delete(st.key);
    const t = this.timers.get(st.key);
    if (t) clearTimeout(t);
    this.timers.delete(st.key);
    return st;
  }

  /**
   * A study read back from the spool: pending again, ending once its quiet time after its last
   * instance has passed (at once when it has). An instance of it arriving now joins it.
   */
  restore(st: PendingStudy): boolean {
    if (this.closed) return false;
    // Another reception of the same study began in this process first: both go on apart.
    if (this.pending.has(st.key)) st.key = `${st.key}|${st.id}`;
    this.pending.set(st.key, st);
    this.arm(st.key, Math.max(0, st.lastAt + this.quietMs - Date.now()));
    return true;
  }

  /**
   * Refusals of a sender, counted against the studies it sent (those still pending) at once;
   * resolves when kept (a caller about to answer the sender awaits it), never rejects.
   */
  noteRefused(keys: Iterable<string>, count: number, reasons: string[]): Promise<void> {
    return this.noteAll(keys, { kind: 'refused', count, reasons: reasons.slice(0, 5) });
  }

  /**
   * A sender's refusals so far, noted against those of `keys` still pending for what each was
   * not told yet: a study it joined after refusals gets them all, as the sender's other
   * studies did. `told` changes before anything is awaited, so two calls never note the same
   * refusal twice. Resolves when kept (the caller answers the sender then), never rejects.
   */
  noteRefusedSince(keys: Iterable<string>, r: SenderRefusals): Promise<void> {
    const kept: Promise<void>[] = [];
    for (const k of keys) {
      const st = this.pending.get(k);
      if (!st) continue;
      const told = r.told.get(st) ?? { count: 0, reasons: 0 };
      if (told.count >= r.count) continue;
      r.told.set(st, { count: r.count, reasons: r.reasons.length });
      kept.push(this.note(st, { kind: 'refused', count: r.count - told.count, reasons: r.reasons.slice(told.reasons, 5) }));
    }
    return Promise.all(kept).then(() => {});
  }

  /** The association that carried these studies ended without a release; resolves when kept, never rejects. */
  noteInterrupted(keys: Iterable<string>, why: string): Promise<void> {
    return this.noteAll(keys, { kind: 'interrupted', count: 1, reasons: [why] });
  }

  private noteAll(keys: Iterable<string>, note: StudyNote): Promise<void> {
    const kept: Promise<void>[] = [];
    for (const k of keys) {
      const st = this.pending.get(k);
      if (st) kept.push(this.note(st, note));
    }
    return Promise.all(kept).then(() => {});
  }

  private note(st: PendingStudy, note: StudyNote): Promise<void> {
    applyNote(st, note);
    return this.keep?.(st, note) ?? Promise.resolve();
  }

  /** Counts `activity` as the studies' own (a listener's connections); returns the undo. */
  watch(activity: StudyActivity): () => void {
    this.activity.add(activity);
    return () => this.activity.delete(activity);
  }

  /** Studies waiting for their quiet time to pass. */
  get size(): number {
    return this.pending.size;
  }

  /** The spool ids of the studies pending. */
  pendingIds(): string[] {
    return [...this.pending.values()].map((st) => st.id);
  }

  /** Instances and bytes held. */
  held(): { studies: number; instances: number; bytes: number } {
    let instances = 0;
    let bytes = 0;
    for (const st of this.pending.values()) {
      instances += st.instances.size;
      bytes += st.bytes;
    }
    return { studies: this.pending.size, instances, bytes };
  }

  /** Resolves when every completion started so far has ended. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  /**
   * Stops taking instances. The studies still waiting for their quiet time were acknowledged
   * to their senders (C-STORE success, STOW-RS 200), who will not send them again: dropping
   * them lost clinical data unseen. Each is completed now, marked cutShort; what is still
   * completing after `limitMs` (the process is about to end) is returned as unfinished, for
   * the caller to record.
   */
  async close(limitMs: number): Promise<{ cutShort: number; unfinished: PendingStudy[] }> {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    // Instances being stored now are part of their study once stored (their sender is answered then).
    const end = Date.now() + limitMs;
    await within(new Promise<void>((resolve) => (this.inflight() === 0 ? resolve() : this.drainWaiters.push(resolve))), limitMs / 2);
    limitMs = Math.max(0, end - Date.now());
    const studies = [...this.pending.values()];
    this.pending.clear();
    const finished = new Set<PendingStudy>();
    for (const st of studies) {
      st.cutShort = true;
      void this.start(st).then(() => finished.add(st));
    }
    await within(this.idle(), limitMs);
    return { cutShort: studies.length, unfinished: studies.filter((st) => !finished.has(st)) };
  }

  private inflight(): number {
    let n = 0;
    for (const st of this.pending.values()) n += st.inflight;
    return n;
  }

  private drained(): void {
    if (this.drainWaiters.length === 0 || this.inflight() > 0) return;
    for (const w of this.drainWaiters.splice(0)) w();
  }

  private arm(key: string, ms = this.quietMs): void {
    if (this.closed) return;
    const old = this.timers.get(key);
    if (old) clearTimeout(old);
    const t = setTimeout(() => this.fire(key), ms);
    t.unref();
    this.timers.set(key, t);
  }

  /**
   * The quiet time ran out, by this process's clock. After a stall (GC, a loaded machine)
   * timers run before the I/O that waited meanwhile, which may hold the study's next
   * instance: settle one turn later, once that I/O has been read.
   */
  private fire(key: string): void {
    this.timers.delete(key);
    setImmediate(() => this.settle(key));
  }

  private settle(key: string): void {
    const st = this.pending.get(key);
    // add() armed a new timer meanwhile: that one decides
    if (!st || this.closed || this.timers.has(key)) return;
    // An instance is being stored: the study goes on (commit() arms its timer again).
    if (st.inflight > 0) return;
    let last = st.lastAt;
    for (const a of this.activity) last = Math.max(last, a(key));
    const left = last + this.quietMs - Date.now();
    if (left > 0) {
      this.arm(key, left);
      return;
    }
    this.pending.delete(key);
    void this.start(st);
  }

  private start(st: PendingStudy): Promise<void> {
    // complete() reports its own failures; this catch only keeps an unexpected throw from becoming an unhandled rejection.
    const p: Promise<void> = this.complete(st)
      .catch(() => {})
      .finally(() => this.running.delete(p));
    this.running.add(p);
    return p;
  }
}
