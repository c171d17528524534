/**
 * The solver of identification: iterated conditional modes (Besag, J R Stat Soc B
 * 1986;48:259–302) from the unary argmax, regions visited largest first, until no single
 * change improves the total. Not the Hungarian method: the assignment is many-to-one with
 * relation terms, which a linear assignment cannot express. Pairwise terms use each
 * structure's aggregate (centroid, extent) and cost 1 per 10 mm of violation; touching regions
 * add contact terms. Confidence of a region: its structure's share of the local conditional
 * distribution (softmax over every label, NULL included, of the total score).
 */
import type { AnatomyGraph, Relation } from './graph.js';
import { aggregate, relationCost, type Aggregate } from './relation-cost.js';
import type { Contact } from './regions.js';
import { addSums, emptySums, type RegionFeatures, type Sums } from './features.js';
import { NULL_SCORE } from './score-unary.js';
import { crossFaces, gapScores, pairContacts } from './cut-gap.js';

/** Score for touching a region of the same structure (times the share of the contact). */
const CONTACT_BONUS = 1;
/** Score for touching a region of a structure the graph keeps apart. */
const APART_PENALTY = -3;
/**
 * Score for touching a region of a structure the graph says it touches, times the share of the contact: less than
 * touching the same structure. At 1.5 × min(1, 4 × share) it was worth more, so a midline piece of the sacrum between
 * two sacrum pieces scored higher as hip (sacrum 'touches' hip) than as sacrum (example_ct: the L5 and S1 bodies).
 */
const TOUCH_BONUS = 0.5;
/** Half-height of the stretch of a stack whose regions give its local axis at a cut (about two vertebrae), mm. */
const AXIS_MM = 40;
/** Labels with a unary term this far under the current label's are not re-scored. */
const PRUNE = 12;

/** Structure for each region (−1 = none) by ICM; returns the labelling and per-region confidence. */
export function solve(features: RegionFeatures[], sums: Sums[], graph: AnatomyGraph, unaryOf: (r: number, s: number) => number, active: number[], contacts: Contact[], midX: number, init?: Int32Array) {
  const S = graph.structures.length;
  const index = new Map(graph.structures.map((s, i) => [s.name, i]));
  // Touching regions: the same structure is likely (CONTACT_BONUS × share of the contact), an 'apart' pair is not.
  const neighbours: Array<Array<{ n: number; w: number }>> = Array.from({ length: features.length }, () => []);
  const totals = new Float64Array(features.length);
  for (const c of contacts) {
    totals[c.a]! += c.faces;
    totals[c.b]! += c.faces;
  }
  for (const c of contacts) {
    neighbours[c.a]!.push({ n: c.b, w: c.faces / totals[c.a]! });
    neighbours[c.b]!.push({ n: c.a, w: c.faces / totals[c.b]! });
  }
  // Per ordered structure pair: 1 apart, 2 touches.
  const contactRel = new Uint8Array(S * S);
  for (const r of graph.relations) {
    if (r.rel !== 'apart' && r.rel !== 'touches') continue;
    const a = index.get(r.a)!;
    const b = index.get(r.b)!;
    contactRel[a * S + b] = contactRel[b * S + a] = r.rel === 'apart' ? 1 : 2;
  }
  const contactScore = (r: number, s: number): number => {
    if (s < 0) return 0;
    let t = 0;
    for (const { n, w } of neighbours[r]!) {
      const l = label[n]!;
      if (l < 0) continue;
      if (l === s) t += CONTACT_BONUS * w;
      else if (contactRel[s * S + l] === 1) t += APART_PENALTY * Math.min(1, 4 * w);
      else if (contactRel[s * S + l] === 2) t += TOUCH_BONUS * w;
    }
    return t;
  };
  const rels = graph.relations.map((r) => ({ r, a: index.get(r.a)!, b: index.get(r.b)! }));
  // Relations touching each structure, so a change re-scores only those.
  const relsOf: number[][] = Array.from({ length: S }, () => []);
  rels.forEach((x, i) => {
    relsOf[x.a]!.push(i);
    if (x.b !== x.a) relsOf[x.b]!.push(i);
  });
  let label = new Int32Array(features.length).fill(-1);
  let members: number[][] = [];
  /** Starts from the unary argmax; ties go to the structure first in `order`. */
  const start = (order: number[]) => {
    label = new Int32Array(features.length).fill(-1);
    for (const r of active) {
      let best = -1;
      let bestScore = NULL_SCORE;
      for (const s of order) {
        const u = unaryOf(r, s);
        if (u > bestScore + 1e-9) {
          bestScore = u;
          best = s;
        }
      }
      label[r] = best;
    }
    members = Array.from({ length: S }, () => []);
    for (const r of active) if (label[r]! >= 0) members[label[r]!]!.push(r);
    agg = members.map(aggOf);
  };
  const aggOf = (list: number[]): Aggregate | undefined => {
    if (!list.length) return undefined;
    const t = emptySums();
    for (const r of list) addSums(t, sums[r]!);
    return aggregate(t);
  };
  let agg: Array<Aggregate | undefined> = [];
  // Stack neighbours (AnatomyGraph.stacks) and the height a structure has once both are named (StructureFeatures.stackHeight_mm).
  const above = new Int32Array(S).fill(-1);
  const below = new Int32Array(S).fill(-1);
  for (const st of graph.stacks ?? []) {
    for (let i = 0; i + 1 < st.length; i++) {
      const u = index.get(st[i]!)!;
      const l = index.get(st[i + 1]!)!;
      below[u] = l;
      above[l] = u;
    }
  }
  /** A stack member's z extent against its height range, bound only while the members above and below it are named too (the scan then holds all of it). */
  const heightCost = (s: number, view: (x: number) => Aggregate | undefined): number => {
    const range = graph.structures[s]!.features.stackHeight_mm;
    const A = view(s);
    if (!range || !A || above[s]! < 0 || below[s]! < 0 || !view(above[s]!) || !view(below[s]!)) return 0;
    const h = A.max[2] - A.min[2];
    return -(Math.max(0, range[0] - h) + Math.max(0, h - range[1])) / 10;
  };
  // Marks for relCost's two sets (structures whose height counts, relations counted), by generation: it runs for
  // every region and candidate label of every sweep, and a Set pair per call was a third of the solver's time.
  const heightSeen = new Int32Array(S);
  const relSeen = new Int32Array(rels.length);
  const heightList = new Int32Array(6);
  let gen = 0;
  /** Cost of the relations touching structures s0 and s1 (−1: none) and of their stacks' heights, with `view` giving aggregates. */
  const relCost = (s0: number, s1: number, view: (s: number) => Aggregate | undefined): number => {
    gen++;
    let t = 0;
    // the structures touched and their stack neighbours, each once, in that order
    let nh = 0;
    for (let u = 0; u < 2; u++) {
      const s = u === 0 ? s0 : s1;
      if (s < 0) continue;
      for (let v = 0; v < 3; v++) {
        const x = v === 0 ? s : v === 1 ? above[s]! : below[s]!;
        if (x < 0 || heightSeen[x] === gen) continue;
        heightSeen[x] = gen;
        heightList[nh++] = x;
      }
    }
    for (let h = 0; h < nh; h++) t += heightCost(heightList[h]!, view);
    for (let u = 0; u < 2; u++) {
      const s = u === 0 ? s0 : s1;
      if (s < 0) continue;
      for (const i of relsOf[s]!) {
        if (relSeen[i] === gen) continue;
        relSeen[i] = gen;
        const { r, a, b } = rels[i]!;
        const A = view(a);
        const B = view(b);
        if (A && B) t += relationCost(r, A, B, midX);
      }
    }
    return t;
  };
  // 'below', 'inferior', 'superior' and 'level' also bind each region on its own: an aggregate moves little when
  // one of several stray pieces leaves, so without this a few pieces far from their place (a 'femur' in a head, a
  // 'humerus' at the hip joint, a 'scapula' on the iliac crest) would keep each other there. A required relation
  // (Relation.required) makes each region pay NULL_SCORE while its partner is absent from the labelling.
  const perRegion: Array<Array<{ b: number; rel: Relation['rel']; tol: number; required: boolean }>> = Array.from({ length: S }, () => []);
  for (const { r, a, b } of rels) {
    const binds = r.rel === 'below' || r.rel === 'inferior' || r.rel === 'superior' || r.rel === 'level';
    if (a !== b && (binds || r.required)) perRegion[a]!.push({ b, rel: binds ? r.rel : 'apart', tol: r.tol_mm ?? 20, required: r.required === true });
  }
  const regionRelCost = (r: number, s: number): number => {
    if (s < 0) return 0;
    let t = 0;
    const own = sums[r]!;
    const cz = own.sz / Math.max(1, own.cells);
    const lo = own.min[2];
    const hi = own.max[2];
    for (const { b, rel, tol, required } of perRegion[s]!) {
      const B = agg[b];
      if (!B) {
        if (required) t += NULL_SCORE;
        continue;
      }
      const d =
        rel === 'below' ? hi - B.min[2] - tol
        : rel === 'inferior' ? cz - B.cz
        : rel === 'superior' ? B.cz - cz
        : rel === 'level' ? Math.max(0, B.min[2] - tol - lo) + Math.max(0, hi - B.max[2] - tol)
        : 0;
      t -= Math.max(0, d) / 10;
    }
    return t;
  };
  /** Aggregate of structure s without region r: subtracted, unless r holds an extreme (then summed again). */
  const aggWithout = (s: number, r: number): Aggregate | undefined => {
    const cur = agg[s];
    const own = sums[r]!;
    if (!cur || members[s]!.length <= 1) return undefined;
    for (let t = 0; t < 3; t++) if (own.min[t]! <= cur.min[t]! || own.max[t]! >= cur.max[t]!) return aggOf(members[s]!.filter((x) => x !== r));
    return aggregate({ cells: cur.cells - own.cells, sx: cur.sx - own.sx, sy: cur.sy - own.sy, sz: cur.sz - own.sz, min: [...cur.min], max: [...cur.max] });
  };
  /** Total score (unary of r + relations touching its old and new structure) for every label of r. */
  const localScores = (r: number): Float64Array => {
    const out = new Float64Array(S + 1);
    const old = label[r]!;
    const without = old >= 0 ? aggWithout(old, r) : undefined;
    // A label whose unary term is this far below the current one's and NULL's is not a candidate (contact and
    // relation terms add a few units at most; where they take more, NULL wins): skipping it saves building an
    // aggregate per region and label, most of the solver's time. Its probability counts as 0.
    const floor = Math.max(NULL_SCORE, old >= 0 ? unaryOf(r, old) : NULL_SCORE) - PRUNE;
    for (let s = -1; s < S; s++) {
      if (s >= 0 && s !== old && unaryOf(r, s) < floor) {
        out[s + 1] = -Infinity;
        continue;
      }
      let withR: Aggregate | undefined;
      if (s >= 0) {
        if (s === old) withR = agg[s];
        else {
          const t = emptySums();
          const cur = agg[s];
          if (cur) addSums(t, cur);
          addSums(t, sums[r]!);
          withR = aggregate(t);
        }
      }
      const view = (x: number): Aggregate | undefined => (x === s ? withR : x === old ? without : agg[x]);
      out[s + 1] = (s < 0 ? NULL_SCORE : unaryOf(r, s)) + relCost(old, s, view) + contactScore(r, s) + regionRelCost(r, s);
    }
    return out;
  };
  const iterate = () => {
    for (let sweep = 0; sweep < 30; sweep++) {
      let changed = false;
      for (const r of active) {
        const sc = localScores(r);
        const old = label[r]!;
        let best = old;
        for (let s = -1; s < S; s++) if (sc[s + 1]! > sc[best + 1]! + 1e-9) best = s;
        if (best === old) continue;
        if (old >= 0) {
          members[old] = members[old]!.filter((x) => x !== r);
          agg[old] = aggOf(members[old]!);
        }
        if (best >= 0) {
          members[best]!.push(r);
          agg[best] = aggOf(members[best]!);
        }
        label[r] = best;
        changed = true;
      }
      if (!changed) break;
    }
  };
  /** Log-probability of the whole labelling: unary, relation and contact terms. */
  const energy = (): number => {
    let e = 0;
    for (const r of active) e += (label[r]! < 0 ? NULL_SCORE : unaryOf(r, label[r]!)) + contactScore(r, label[r]!) + regionRelCost(r, label[r]!);
    for (const { r, a, b } of rels) {
      const A = agg[a];
      const B = agg[b];
      if (A && B) e += relationCost(r, A, B, midX);
    }
    for (let t = 0; t < S; t++) e += heightCost(t, (x) => agg[x]);
    return e;
  };
  // Neighbours in a stack (AnatomyGraph.stacks: the vertebral column) meet at one level. ICM moves one region at a time,
  // and one region barely moves two long aggregates, so where unary ties left the boundary (graph order: lumbar before
  // sacrum) it stayed: on example_ct the lumbar spine ran on through the sacrum once the sacrum lost the symphysis. A
  // cut move relabels every region of the pair at once, those centred under a level the lower structure and the rest
  // the upper one, and keeps the level of highest total log-probability if it beats the labelling as it is. Both
  // structures keep at least one region: a cut never removes one (the total favours absent structures, which pay no
  // relation terms).
  const stackPairs: Array<[number, number]> = [];
  for (const st of graph.stacks ?? []) for (let i = 0; i + 1 < st.length; i++) stackPairs.push([index.get(st[i]!)!, index.get(st[i + 1]!)!]);
  const centreZ = (r: number) => sums[r]!.sz / Math.max(1, sums[r]!.cells);
  const regroup = (s: number) => {
    members[s] = active.filter((r) => label[r] === s);
    agg[s] = aggOf(members[s]!);
  };
  const centreY = (r: number) => sums[r]!.sy / Math.max(1, sums[r]!.cells);
  /**
   * Cut planes of a pair at every level a region is centred on: perpendicular to the column's local axis, as a disc is
   * (the L5/S1 disc is inclined ~40° by the sacral slope, so a level plane there cuts L5 or S1 in two). The axis is the
   * cell-weighted line fit of y on z through the pair's regions centred within AXIS_MM of the level.
   */
  const cutPlanes = (rs: number[]): Array<{ zc: number; yc: number; slope: number }> => {
    const levels = [...new Set(rs.map(centreZ))].sort((x, y) => x - y);
    return levels.slice(1).map((zc) => {
      let w = 0, sz = 0, sy = 0, szz = 0, szy = 0;
      for (const r of rs) {
        const z = centreZ(r);
        if (Math.abs(z - zc) > AXIS_MM) continue;
        const c = sums[r]!.cells;
        const y = centreY(r);
        w += c;
        sz += c * z;
        sy += c * y;
        szz += c * z * z;
        szy += c * z * y;
      }
      const mz = sz / w;
      const my = sy / w;
      const vz = szz / w - mz * mz;
      return { zc, yc: my + (vz > 0 ? ((szy / w - mz * my) / vz) * (zc - mz) : 0), slope: vz > 0 ? (szy / w - mz * my) / vz : 0 };
    });
  };
  const cutMoves = (): boolean => {
    let moved = false;
    for (const [upper, lower] of stackPairs) {
      if (!members[upper]!.length || !members[lower]!.length) continue;
      const rs = [...members[upper]!, ...members[lower]!].sort((a, b) => a - b);
      const assign = (c: { zc: number; yc: number; slope: number }): boolean => {
        let below = 0;
        for (const r of rs) {
          const under = (centreY(r) - c.yc) * c.slope + (centreZ(r) - c.zc) < 0;
          label[r] = under ? lower : upper;
          if (under) below++;
        }
        regroup(upper);
        regroup(lower);
        return below > 0 && below < rs.length;
      };
      const before = rs.map((r) => label[r]!);
      // Each candidate, and the labelling as it is, also scores the bone its boundary crosses (cut-gap.ts).
      const joins = pairContacts(rs, contacts);
      const cross = [crossFaces(joins, label)];
      const energies = [energy()];
      const cuts: Array<{ zc: number; yc: number; slope: number }> = [];
      for (const c of cutPlanes(rs)) {
        if (!assign(c)) continue;
        cuts.push(c);
        cross.push(crossFaces(joins, label));
        energies.push(energy());
      }
      const gaps = gapScores(cross);
      let best = energies[0]! + gaps[0]!;
      let bestCut: { zc: number; yc: number; slope: number } | undefined;
      cuts.forEach((c, i) => {
        if (energies[i + 1]! + gaps[i + 1]! > best + 1e-6) [best, bestCut] = [energies[i + 1]! + gaps[i + 1]!, c];
      });
      if (bestCut) {
        assign(bestCut);
        moved = true;
      } else {
        rs.forEach((r, i) => (label[r] = before[i]!));
        regroup(upper);
        regroup(lower);
      }
    }
    return moved;
  };
  // Ties go to the structure first in graph order. Tried: a second start with ties broken in reverse, keeping the
  // labelling of higher total log-probability; it named the hips femur on example_ct (a structure absent from the
  // labelling pays no relation costs, so the total favours dropping well-constrained structures) and was dropped.
  if (init) {
    // Continue from a labelling (identify.ts: once short pieces lose a long bone's name); a label now at −∞ is dropped.
    label = Int32Array.from(init, (l, r) => (l >= 0 && unaryOf(r, l) === -Infinity ? -1 : l));
    members = Array.from({ length: S }, () => []);
    for (const r of active) if (label[r]! >= 0) members[label[r]!]!.push(r);
    agg = members.map(aggOf);
  } else start(graph.structures.map((_, i) => i));
  iterate();
  for (let round = 0; round < 4 && cutMoves(); round++) iterate();
  const confidence = new Float64Array(features.length);
  for (const r of active) {
    const sc = localScores(r);
    const top = Math.max(...sc);
    let z = 0;
    for (const v of sc) z += Math.exp(v - top);
    confidence[r] = Math.exp(sc[label[r]! + 1]! - top) / z;
  }
  return { label, confidence, logProbability: energy() };
}
