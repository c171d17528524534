import { describe, expect, it } from 'vitest';
import { CASE_STATES, FINAL_STATES, GATES, REQUIREMENTS } from './states.js';
import { GATE_RULES, TRANSITIONS, canSignGate, nextTransitions, ruleFor, rolesToAct, type WorkflowFacts } from './transitions.js';

const none: WorkflowFacts = { files: false, converted: false, modelVersion: false, gates: {} };
const all: WorkflowFacts = { files: true, converted: true, modelVersion: true, gates: { segmentation: true, model: true, 'print-qc': true } };

describe('the transition table', () => {
  it('names each (from, to) pair at most once and only known states and requirements', () => {
    const seen = new Set<string>();
    for (const r of TRANSITIONS) {
      expect(CASE_STATES).toContain(r.to);
      for (const req of r.requires) expect(REQUIREMENTS).toContain(req);
      for (const f of r.from) {
        expect(CASE_STATES).toContain(f);
        const key = `${f}->${r.to}`;
        expect(seen.has(key), key).toBe(false);
        seen.add(key);
      }
    }
  });

  it('leads out of every state but the final ones, and never out of those', () => {
    for (const s of CASE_STATES) {
      const out = TRANSITIONS.filter((r) => r.from.includes(s));
      expect(out.length > 0, s).toBe(!FINAL_STATES.includes(s));
    }
  });

  it('reaches every state from draft along the happy path and its loops', () => {
    const reached = new Set<string>(['draft']);
    for (let grew = true; grew; ) {
      grew = false;
      for (const r of TRANSITIONS) {
        if (r.from.some((f) => reached.has(f)) && !reached.has(r.to)) {
          reached.add(r.to);
          grew = true;
        }
      }
    }
    expect([...reached].sort()).toEqual([...CASE_STATES].sort());
  });

  it('needs all three gates to start printing, and the approval signs the model gate', () => {
    expect(ruleFor('print-preparation', 'printing')!.requires).toEqual(GATES.map((g) => `gate:${g}`));
    expect(ruleFor('in-review', 'approved')).toMatchObject({ signs: 'model', roles: ['reviewer', 'org-admin'] });
    expect(GATE_RULES.model.signedBy).toBe('approved');
    expect(canSignGate('model', 'in-review', 'reviewer')).toBe(false);
    expect(canSignGate('segmentation', 'in-review', 'engineer')).toBe(true);
    expect(canSignGate('segmentation', 'in-review', 'reviewer')).toBe(false);
    expect(canSignGate('print-qc', 'print-preparation', 'technician')).toBe(true);
    expect(canSignGate('print-qc', 'approved', 'technician')).toBe(false);
  });
});

describe('nextTransitions', () => {
  it('lists what is missing and allows only the roles named when nothing is', () => {
    const n = nextTransitions('print-preparation', 'technician', { ...all, gates: { model: true } });
    const printing = n.find((x) => x.to === 'printing')!;
    expect(printing).toMatchObject({ allowed: false, missingKeys: ['gate:segmentation', 'gate:print-qc'] });
    expect(printing.missing[0]).toMatch(/segmentation gate/);
    expect(nextTransitions('print-preparation', 'technician', all).find((x) => x.to === 'printing')!.allowed).toBe(true);
    expect(nextTransitions('print-preparation', 'reviewer', all).find((x) => x.to === 'printing')!.allowed).toBe(false);
  });

  it('does not count a comment as missing (the form asks for it) but says one is needed', () => {
    const cancel = nextTransitions('draft', 'requester', none).find((x) => x.to === 'cancelled')!;
    expect(cancel).toMatchObject({ allowed: true, missing: [], comment: true });
  });

  it('shows the four-eyes reason to an approver who may not approve this version', () => {
    const a = nextTransitions('in-review', 'reviewer', { ...all, fourEyes: 'you started job j' }).find((x) => x.to === 'approved')!;
    expect(a).toMatchObject({ allowed: false, missingKeys: ['four-eyes'] });
    expect(a.missing[0]).toContain('you started job j');
  });

  it('holds approval back while a model job is queued or running (its version would be newer)', () => {
    const a = nextTransitions('in-review', 'reviewer', { ...all, pendingJob: true }).find((x) => x.to === 'approved')!;
    expect(a).toMatchObject({ allowed: false, missingKeys: ['no-pending-job'] });
    expect(a.missing[0]).toMatch(/queued or running/);
    // Sending the case back stays possible meanwhile.
    expect(nextTransitions('in-review', 'reviewer', { ...all, pendingJob: true }).find((x) => x.to === 'changes-requested')!.allowed).toBe(true);
  });
});

describe('rolesToAct', () => {
  it('names who moves the case forward', () => {
    expect(rolesToAct('in-review').sort()).toEqual(['engineer', 'org-admin', 'reviewer']);
    expect(rolesToAct('approved').sort()).toEqual(['org-admin', 'technician']);
    expect(rolesToAct('draft').sort()).toEqual(['org-admin', 'requester']);
  });
});
