/**
 * The spool: every instance the receiver acknowledges (C-STORE success, STOW-RS 200) is in
 * the object store (pacs-spool/<study>/<row>.dcm, written whole or not at all) and listed in
 * pacs_spool_instances before the answer goes out, under a pacs_spool_studies row of its study
 * (0013-pacs-spool). The study's reception row is written in the same transaction that removes
 * it from the spool: a process killed before then (SIGKILL, power lost) leaves the study here,
 * and the next one to start takes it back (claim) and makes its case. Only anonymised bytes are
 * ever written (receive-instance.ts runs before), as for a case's files.
 *
 * What the receiver noted against the study besides its instances (refusals and their reasons,
 * another patient's instances, an interrupted association: StudyNote) is listed with it too
 * (pacs_spool_notes, 0015) when noted, and counted into it again when it is taken back: its
 * receipt then says what it would have said without the kill. A note creates the study's row
 * when it has none yet (its first instance still being stored); a study that ends up with
 * notes but no instance is dropped, notes and all, as it is without them (it makes no case: a
 * sender all of whose instances were refused has its own 'refused' reception, listener.ts).
 * Not kept: cutShort (a study taken back waits for its quiet time again, so it is no longer
 * completed before that time had passed; PACS_RECOVERED_AT_START says the server stopped).
 *
 * A study is held by one process (owner) while its lease runs (SCAN2PRINT_PACS_SPOOL_LEASE_S);
 * the holder renews it. Embedded, the data folder's lock makes the starting process the only
 * one, so it takes every study; on PostgreSQL, another process takes only studies whose lease
 * ran out.
 *
 * A process that stalls past its lease (stopped, a VM paused) is not dead: when it goes on it
 * may still hold as pending a study that another process has taken over (read, and will make
 * into a case and remove whole). So whatever it writes against a study (an instance, a note)
 * is written only while the study is still its own, checked in the same statement that writes
 * it, the study's row locked meanwhile (a take-over waits for it, and then reads it); and its
 * case and reception are made only while it is (hold, remove). StudyTakenOver says it is not:
 * the process forgets that study, and an instance of it arriving now starts a new one.
 */
import { randomUUID } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Services } from '../context.js';
import type { Database } from '../db/schema.js';
import type { PacsSpoolStudiesTable } from '../db/schema-pacs.js';
import { acceptInstance, type AcceptedInstance, type OrgAnonymisation } from './receive-instance.js';
import type { PacsRoute } from './routing.js';
import { applyNote, type PendingStudy, type ReceiveVia, type StudyNote } from './study-assembler.js';

/** The end of a lease taken or renewed now: `seconds` (config.pacsSpoolLeaseSeconds, a number above 0) from now. */
const leaseEnd = (seconds: number) => sql<Date>`now() + ${sql.lit(seconds)} * interval '1 second'`;
const prefixOf = (studyId: string) => `pacs-spool/${studyId}/`;

type SpoolStudyRow = Selectable<PacsSpoolStudiesTable>;

/** The study is another process's now (this one stalled past its lease): nothing of it is this process's to write or complete. */
export class StudyTakenOver extends Error {
  constructor(readonly studyId: string) {
    super(`PACS spool: study ${studyId} was taken over by another server process`);
  }
}

/** The columns a spooled study and its reception share: its id (also the case's), where it came from, its study. */
export function studyColumns(st: PendingStudy) {
  const { route, via, callingAe, calledAe, remoteAddress } = st.source;
  return {
    id: st.id,
    org_id: route.org_id,
    route_id: route.id || null,
    via,
    calling_ae: callingAe,
    called_ae: calledAe,
    remote_address: remoteAddress,
    study_uid: st.studyUid,
  };
}

export class PacsSpool {
  /** This process (its receiver): the owner of the studies it holds. */
  readonly owner = randomUUID();
  /** The study row of each pending study, written with its first instance. */
  private readonly studyRows = new WeakMap<PendingStudy, Promise<void>>();
  /** Studies whose row this process wrote or took over: one of them not renewed was taken from it. */
  private readonly written = new Set<string>();

  constructor(private readonly s: Services) {}

  /**
   * Stores one accepted instance of `st` and lists it; returns its row id. Throws when either
   * fails, StudyTakenOver (nothing kept) when the study is no longer this process's.
   */
  async put(st: PendingStudy, inst: AcceptedInstance): Promise<string> {
    await this.studyRow(st);
    const id = randomUUID();
    const key = `${prefixOf(st.id)}${id}.dcm`;
    await this.s.store.put(key, inst.bytes);
    let listed: boolean;
    try {
      // Listed only under a study still this process's; `for share`: a take-over waits until this commits, then reads it.
      const r = await sql<{ id: string }>`
        insert into pacs_spool_instances (id, study_id, object_key, bytes, anonymised_by, received_at)
        select ${id}::uuid, s.id, ${key}::text, ${inst.bytes.length}::bigint, ${inst.by}::text, ${new Date().toISOString()}::timestamptz
        from pacs_spool_studies s where s.id = ${st.id} and s.owner = ${this.owner} for share
        returning id`.execute(this.s.db);
      listed = r.rows.length === 1;
    } catch (e) {
      // Not listed: no one would read it back.
      await this.s.store.deletePrefix(key).catch(() => {});
      throw e;
    }
    if (!listed) {
      await this.s.store.deletePrefix(key).catch(() => {});
      this.written.delete(st.id);
      throw new StudyTakenOver(st.id);
    }
    return id;
  }

  /** Lists a note of `st` (the study's row first, when it has none yet). Throws when that fails, StudyTakenOver as put. */
  async note(st: PendingStudy, note: StudyNote): Promise<void> {
    await this.studyRow(st);
    const r = await sql<{ seq: string }>`
      insert into pacs_spool_notes (study_id, kind, count, reasons)
      select s.id, ${note.kind}::text, ${note.count}::integer, ${JSON.stringify(note.reasons)}::jsonb
      from pacs_spool_studies s where s.id = ${st.id} and s.owner = ${this.owner} for share
      returning seq`.execute(this.s.db);
    if (r.rows.length === 0) throw new StudyTakenOver(st.id);
  }

  /**
   * An instance sent again under the same SOP Instance UID replaced this one: its row and bytes
   * go, unless its study is another process's now (which read it, and removes it with the study):
   * false then.
   */
  async drop(rowId: string, studyId: string): Promise<boolean> {
    const gone = await this.s.db.deleteFrom('pacs_spool_instances').where('id', '=', rowId).where('study_id', 'in', this.owned(studyId)).executeTakeFirst();
    if (Number(gone.numDeletedRows) === 0) return false;
    await this.s.store.deletePrefix(`${prefixOf(studyId)}${rowId}.dcm`);
    return true;
  }

  /** A study none of whose instances could be stored: its row goes (unless another process's now). */
  async dropStudy(st: PendingStudy): Promise<void> {
    this.studyRows.delete(st);
    this.written.delete(st.id);
    const gone = await this.s.db.deleteFrom('pacs_spool_studies').where('id', 'in', this.owned(st.id)).executeTakeFirst();
    if (Number(gone.numDeletedRows) > 0) await this.s.store.deletePrefix(prefixOf(st.id));
  }

  /** The study's id while it is this process's (a subquery). */
  private owned(studyId: string) {
    return this.s.db.selectFrom('pacs_spool_studies').select('id').where('id', '=', studyId).where('owner', '=', this.owner);
  }

  /**
   * In the transaction that makes the study's case: throws StudyTakenOver unless the study is
   * this process's, and keeps it so (row locked: a take-over waits) until that commits.
   */
  async hold(tx: Kysely<Database>, studyId: string): Promise<void> {
    const row = await tx.selectFrom('pacs_spool_studies').select('id').where('id', '=', studyId).where('owner', '=', this.owner).forUpdate().executeTakeFirst();
    if (!row) throw new StudyTakenOver(studyId);
  }

  /**
   * Removes the study from the spool, in the transaction that records its reception (the
   * rows); its bytes go after that commits (removeBytes): bytes left by a kill in between are
   * never listed, and swept at the next embedded start.
   */
  async remove(tx: Kysely<Database>, studyId: string): Promise<void> {
    // Only this process's: the reception of a study taken over is the other process's to record (the transaction rolls back).
    const gone = await tx.deleteFrom('pacs_spool_studies').where('id', '=', studyId).where('owner', '=', this.owner).executeTakeFirst();
    if (Number(gone.numDeletedRows) === 0) throw new StudyTakenOver(studyId);
  }

  /**
   * The whole prefix, once the study's rows are gone: only the owner lists instances under it
   * (put), so every object there was read by it, or is one no row lists (a put refused, or cut by a kill).
   */
  async removeBytes(studyId: string): Promise<void> {
    this.written.delete(studyId);
    await this.s.store.deletePrefix(prefixOf(studyId));
  }

  /**
   * Renews the lease of the studies this process holds; returns those of `ids` it held and no
   * longer does (taken over after it stalled past its lease, maybe completed since).
   */
  async renew(ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.s.db
      .updateTable('pacs_spool_studies')
      .set({ lease_until: leaseEnd(this.s.config.pacsSpoolLeaseSeconds) })
      .where('owner', '=', this.owner)
      .where('id', 'in', ids)
      .returning('id')
      .execute();
    const kept = new Set(rows.map((r) => r.id));
    // A study whose row is still being written is not lost.
    const lost = ids.filter((id) => !kept.has(id) && this.written.has(id));
    for (const id of lost) this.written.delete(id);
    return lost;
  }

  /**
   * Takes over the studies no live process holds: embedded (`all`), every study of another
   * owner; else those whose lease ran out. Each is read back as a pending study (its instances'
   * bytes from the store, checked again), or dropped from the list when it has no instance.
   */
  async claim(all: boolean): Promise<PendingStudy[]> {
    let q = this.s.db.updateTable('pacs_spool_studies').set({ owner: this.owner, lease_until: leaseEnd(this.s.config.pacsSpoolLeaseSeconds) }).where('owner', '<>', this.owner);
    if (!all) q = q.where('lease_until', '<', sql<Date>`now()`);
    const rows = await q.returningAll().execute();
    const out: PendingStudy[] = [];
    for (const row of rows) {
      const st = await this.load(row);
      if (st) out.push(st);
    }
    return out;
  }

  /**
   * Bytes of studies no longer listed (a kill between a reception's commit and the removal of
   * its bytes). Embedded, with the file store under the data folder only (serve.ts puts it at
   * DATA/objects): no other process writes there, and no listing call exists for S3 here.
   */
  async sweep(): Promise<number> {
    if (this.s.config.databaseUrl || this.s.config.s3) return 0;
    const root = join(this.s.config.dataDir, 'objects', 'pacs-spool');
    const dirs = await readdir(root).catch(() => [] as string[]);
    const ids = dirs.filter((d) => /^[0-9a-f-]{36}$/.test(d));
    if (ids.length === 0) return 0;
    const listed = new Set((await this.s.db.selectFrom('pacs_spool_studies').select('id').where('id', 'in', ids).execute()).map((r) => r.id));
    const orphans = ids.filter((id) => !listed.has(id));
    await Promise.all(orphans.map((id) => rm(join(root, id), { recursive: true, force: true })));
    return orphans.length;
  }

  private studyRow(st: PendingStudy): Promise<void> {
    let p = this.studyRows.get(st);
    if (!p) {
      p = this.s.db
        .insertInto('pacs_spool_studies')
        .values({
          ...studyColumns(st),
          owner: this.owner,
          lease_until: leaseEnd(this.s.config.pacsSpoolLeaseSeconds),
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute()
        .then(() => void this.written.add(st.id));
      this.studyRows.set(st, p);
      // A failed insert is tried again with the study's next instance.
      p.catch(() => this.studyRows.delete(st));
    }
    return p;
  }

  private async load(row: SpoolStudyRow): Promise<PendingStudy | undefined> {
    const db = this.s.db;
    const rows = await db.selectFrom('pacs_spool_instances').select(['id', 'object_key', 'anonymised_by', 'received_at']).where('study_id', '=', row.id).orderBy('seq').execute();
    if (rows.length === 0) {
      // Killed between the study's row and its first instance's: nothing was acknowledged (its notes go with it).
      await db.deleteFrom('pacs_spool_studies').where('id', '=', row.id).execute();
      await this.removeBytes(row.id).catch(() => {});
      return undefined;
    }
    const org: OrgAnonymisation = await db.selectFrom('orgs').select(['server_anonymise', 'anonymise_key']).where('id', '=', row.org_id).executeTakeFirstOrThrow();
    const instances = new Map<string, AcceptedInstance>();
    const spoolRows = new Map<string, string>();
    let unreadable = 0;
    let bytes = 0;
    let first: AcceptedInstance | undefined;
    for (const [k, r] of rows.entries()) {
      let inst: AcceptedInstance | undefined;
      try {
        // Stored anonymised: the check passes it as it is (it is what ingest checks again).
        const got = await acceptInstance(await this.s.store.get(r.object_key), `recovered instance ${k + 1}`, org);
        if (got.ok) inst = { ...got.instance, by: r.anonymised_by };
      } catch {
        /* its bytes are gone or unreadable: counted below */
      }
      if (!inst) {
        unreadable++;
        continue;
      }
      first ??= inst;
      const id = inst.sopUid ?? `#${instances.size}`;
      // In arrival order: an instance sent again replaces the first, as when it arrived.
      const before = instances.get(id);
      if (before) bytes -= before.bytes.length;
      instances.set(id, inst);
      spoolRows.set(id, r.id);
      bytes += inst.bytes.length;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const times = rows.map((r) => new Date(r.received_at).getTime());
    const st: PendingStudy = {
      id: row.id,
      key: `${row.route_id ?? ''}|${row.study_uid}`,
      source: { route: await this.routeOf(row), via: row.via as ReceiveVia, callingAe: row.calling_ae, calledAe: row.called_ae, remoteAddress: row.remote_address },
      studyUid: row.study_uid,
      patientKey: first?.patientKey ?? '',
      otherPatient: 0,
      cutShort: false,
      recovered: { unreadable },
      inflight: 0,
      spoolRows,
      instances,
      refused: 0,
      refusals: [],
      interrupted: [],
      firstAt: Math.min(...times),
      lastAt: Math.max(...times),
      bytes,
    };
    const notes = await db.selectFrom('pacs_spool_notes').select(['kind', 'count', 'reasons']).where('study_id', '=', row.id).orderBy('seq').execute();
    for (const n of notes) applyNote(st, { kind: n.kind, count: n.count, reasons: stringsOf(n.reasons) });
    this.studyRows.set(st, Promise.resolve());
    this.written.add(st.id);
    return st;
  }

  /** The study's route; one deleted since is stood in for by its organisation, without a convert. */
  private async routeOf(row: SpoolStudyRow): Promise<PacsRoute> {
    const route = row.route_id ? await this.s.db.selectFrom('pacs_routes').selectAll().where('id', '=', row.route_id).executeTakeFirst() : undefined;
    return (
      route ?? {
        id: '',
        org_id: row.org_id,
        calling_ae: row.calling_ae,
        called_ae: row.called_ae,
        stow_token_hash: null,
        auto_convert: false,
        convert_params: null,
        description: null,
        created_by: null,
        created_at: row.created_at,
      }
    );
  }
}

/** A note's reasons as read back (jsonb: a string array as written; anything else is no reason). */
function stringsOf(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
