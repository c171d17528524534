/**
 * The review page's 3D panel: a case's model versions in NiiVue (one view, or two synced views
 * side by side), each model split into its components with a checkbox to hide each, a
 * measurement between two picked surface points (LPS mm), and comments pinned to a picked
 * point. Everything a mouse does here has a keyboard path (buttons to rotate, zoom and pick
 * the point at the centre of the view).
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Niivue } from '@niivue/niivue';
import { ApiError } from '../../api/client.js';
import { ModelScene, type SceneHandle, type SceneMarker } from './ModelScene.js';
import { ComponentList } from './ComponentList.js';
import { CommentPanel } from './CommentPanel.js';
import { MeasurePanel } from './MeasurePanel.js';
import { totals, type MeshPart } from './components.js';
import { distance, type Vec3 } from './geometry.js';
import { parseModel } from './load-mesh.js';
import { artifactBytes, loadComments, loadVersions, viewableArtifact, type ModelVersion, type PinnedComment } from './model-api.js';
import './model3d.css';

type Mode = 'view' | 'measure' | 'comment';

interface LoadedModel {
  parts: MeshPart[];
  ms: number;
}

/** First part bone-coloured, the rest told apart by hue. */
const COLORS: Array<[number, number, number]> = [
  [226, 215, 190],
  [93, 156, 236],
  [236, 112, 99],
  [88, 196, 140],
  [186, 120, 220],
  [240, 170, 60],
  [90, 200, 210],
  [200, 200, 90],
];
const MEASURE_COLOR: [number, number, number] = [255, 214, 10];
const COMMENT_COLOR: [number, number, number] = [0, 200, 255];
const NEW_COMMENT_COLOR: [number, number, number] = [255, 80, 200];

function message(e: unknown): string {
  if (e instanceof ApiError) return `${e.message} (${e.code})`;
  return e instanceof Error ? e.message : String(e);
}

/** `refreshKey`: changes when someone else comments on the case (the page's `case-activity` events). */
export function ModelPanel({ caseId, refreshKey = '' }: { caseId: string; refreshKey?: string }) {
  const [versions, setVersions] = useState<ModelVersion[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [models, setModels] = useState<Record<string, LoadedModel | { error: string }>>({});
  const [jobA, setJobA] = useState<string | null>(null);
  const [jobB, setJobB] = useState<string | null>(null);
  const [compare, setCompare] = useState(false);
  const [hidden, setHidden] = useState<Record<string, ReadonlySet<number>>>({});
  const [mode, setMode] = useState<Mode>('view');
  const [measure, setMeasure] = useState<Vec3[]>([]);
  const [draft, setDraft] = useState<{ point: Vec3; jobId: string } | null>(null);
  const [comments, setComments] = useState<PinnedComment[]>([]);
  const sceneA = useRef<SceneHandle>(null);
  const sceneB = useRef<SceneHandle>(null);
  const nvs = useRef<{ a: Niivue | null; b: Niivue | null }>({ a: null, b: null });

  useEffect(() => {
    let live = true;
    Promise.all([loadVersions(caseId), loadComments(caseId)]).then(
      ([v, c]) => {
        if (!live) return;
        setVersions(v);
        setComments(c);
        const last = v[v.length - 1];
        const prev = v[v.length - 2];
        setJobA(last?.jobId ?? null);
        setJobB(prev?.jobId ?? last?.jobId ?? null);
      },
      (e) => live && setError(message(e)),
    );
    return () => {
      live = false;
    };
  }, [caseId]);

  // Another user's pinned comment shows here without a reload: the comments load again.
  useEffect(() => {
    if (!refreshKey) return;
    let live = true;
    loadComments(caseId).then(
      (c) => live && setComments(c),
      () => undefined, // the next change tries again; the list shown stays
    );
    return () => {
      live = false;
    };
  }, [caseId, refreshKey]);

  // Load each version that is on screen, once.
  const shown = useMemo(() => [jobA, compare ? jobB : null].filter((j): j is string => !!j), [jobA, jobB, compare]);
  useEffect(() => {
    for (const jobId of shown) {
      if (models[jobId]) continue;
      const v = versions?.find((x) => x.jobId === jobId);
      const art = v && viewableArtifact(v);
      if (!art) continue;
      setModels((m) => ({ ...m, [jobId]: { parts: [], ms: -1 } }));
      artifactBytes(art.id)
        .then((bytes) => parseModel(bytes, art.name))
        .then(
          (r) => setModels((m) => ({ ...m, [jobId]: r })),
          (e) => setModels((m) => ({ ...m, [jobId]: { error: message(e) } })),
        );
    }
  }, [shown, versions, models]);

  // Two views turn together: each broadcasts its camera to the other.
  const syncViews = useCallback(() => {
    const { a, b } = nvs.current;
    if (a && b) {
      a.broadcastTo(b, { '2d': false, '3d': true });
      b.broadcastTo(a, { '2d': false, '3d': true });
    } else if (a) a.broadcastTo([], { '2d': false, '3d': true });
  }, []);
  const readyA = useCallback(
    (nv: Niivue | null) => {
      nvs.current.a = nv;
      syncViews();
    },
    [syncViews],
  );
  const readyB = useCallback(
    (nv: Niivue | null) => {
      nvs.current.b = nv;
      syncViews();
    },
    [syncViews],
  );

  const onPick = useCallback(
    (jobId: string) => (p: Vec3) => {
      if (mode === 'measure') setMeasure((m) => (m.length >= 2 ? [p] : [...m, p]));
      else if (mode === 'comment') setDraft({ point: p, jobId });
    },
    [mode],
  );
  const pickA = useMemo(() => (mode === 'view' || !jobA ? null : onPick(jobA)), [mode, jobA, onPick]);
  const pickB = useMemo(() => (mode === 'view' || !jobB ? null : onPick(jobB)), [mode, jobB, onPick]);

  const markersFor = useCallback(
    (jobId: string): SceneMarker[] => [
      ...measure.map((point) => ({ point, color: MEASURE_COLOR })),
      ...comments.filter((c) => c.point && (c.jobId === null || c.jobId === jobId)).map((c) => ({ point: c.point!, color: COMMENT_COLOR })),
      ...(draft && draft.jobId === jobId ? [{ point: draft.point, color: NEW_COMMENT_COLOR }] : []),
    ],
    [measure, comments, draft],
  );
  const markersA = useMemo(() => (jobA ? markersFor(jobA) : []), [jobA, markersFor]);
  const markersB = useMemo(() => (jobB ? markersFor(jobB) : []), [jobB, markersFor]);
  const segment = useMemo<[Vec3, Vec3] | null>(() => (measure.length === 2 ? [measure[0]!, measure[1]!] : null), [measure]);

  const toggle = useCallback((jobId: string, part: number, visible: boolean) => {
    setHidden((h) => {
      const s = new Set(h[jobId] ?? []);
      if (visible) s.delete(part);
      else s.add(part);
      return { ...h, [jobId]: s };
    });
  }, []);

  const scenes = () => [sceneA.current, compare ? sceneB.current : null].filter((s): s is SceneHandle => !!s);
  const versionLabel = (v: ModelVersion) => `Version ${v.version} (${v.kind}, ${new Date(v.createdAt).toLocaleString()})`;

  if (error) return <section className="model3d"><h2>3D model</h2><p role="alert">Could not load the models: {error}</p></section>;
  if (!versions) return <section className="model3d" aria-busy="true"><h2>3D model</h2><p role="status">Loading the model versions…</p></section>;
  if (versions.length === 0) return <section className="model3d"><h2>3D model</h2><p role="status" data-testid="model3d-empty">No model yet: the case has no finished model job.</p></section>;

  const view = (jobId: string | null, which: 'a' | 'b') => {
    const v = versions.find((x) => x.jobId === jobId);
    if (!v) return null;
    const m = models[v.jobId];
    const loaded = m && 'parts' in m && m.ms >= 0 ? m : null;
    const t = loaded ? totals(loaded.parts) : null;
    const hid = hidden[v.jobId] ?? new Set<number>();
    const visibleTris = loaded ? loaded.parts.reduce((s, p, i) => s + (hid.has(i) ? 0 : p.triangles), 0) : 0;
    return (
      <figure className="model3d-view" data-testid={`model3d-view-${which}`} data-job={v.jobId}>
        <figcaption>
          <strong>Version {v.version}</strong> ({v.kind})
          {t && (
            <span data-testid={`model3d-summary-${which}`} data-triangles={t.triangles} data-components={loaded!.parts.length}>
              : {t.triangles.toLocaleString('en')} triangles, {(t.volume_mm3 / 1000).toFixed(1)} cm³, {loaded!.parts.length} components;{' '}
              <span data-testid={`model3d-visible-${which}`} data-triangles={visibleTris}>{visibleTris.toLocaleString('en')} triangles shown</span>
            </span>
          )}
        </figcaption>
        {m && 'error' in m && <p role="alert">This model could not be read: {m.error}</p>}
        {!loaded && !(m && 'error' in m) && <p role="status">Loading the model…</p>}
        <ModelScene
          ref={which === 'a' ? sceneA : sceneB}
          parts={loaded?.parts ?? EMPTY}
          hidden={hid}
          colors={COLORS}
          markers={which === 'a' ? markersA : markersB}
          segment={segment}
          onPick={which === 'a' ? pickA : pickB}
          onReady={which === 'a' ? readyA : readyB}
          label={`3D model, version ${v.version}: drag to rotate, wheel to zoom, arrow keys rotate when focused${mode === 'view' ? '' : '; click the surface to pick a point'}`}
          testId={`model3d-canvas-${which}`}
        />
        {loaded && <ComponentList parts={loaded.parts} hidden={hid} colors={COLORS} onToggle={(i, vis) => toggle(v.jobId, i, vis)} idPrefix={`c-${which}`} />}
        {loaded && <p className="model3d-note" data-testid={`model3d-parse-ms-${which}`}>Read and split in {loaded.ms.toFixed(0)} ms (worker).</p>}
      </figure>
    );
  };

  return (
    <section className="model3d" aria-labelledby="model3d-title" data-testid="model3d-panel">
      <h2 id="model3d-title">3D model</h2>
      <div className="model3d-bar">
        <label>
          Model version
          <select value={jobA ?? ''} onChange={(e) => setJobA(e.target.value)} data-testid="model3d-version-a">
            {versions.map((v) => <option key={v.jobId} value={v.jobId}>{versionLabel(v)}</option>)}
          </select>
        </label>
        <label className="model3d-inline">
          <input type="checkbox" checked={compare} onChange={(e) => setCompare(e.target.checked)} data-testid="model3d-compare" disabled={versions.length < 2} />
          Side by side with another version
        </label>
        {compare && (
          <label>
            Compare with
            <select value={jobB ?? ''} onChange={(e) => setJobB(e.target.value)} data-testid="model3d-version-b">
              {versions.map((v) => <option key={v.jobId} value={v.jobId}>{versionLabel(v)}</option>)}
            </select>
          </label>
        )}
      </div>
      <div className="model3d-bar" role="group" aria-label="3D view controls">
        <fieldset className="model3d-modes">
          <legend>Click on the model to</legend>
          {(['view', 'measure', 'comment'] as const).map((m) => (
            <label key={m} className="model3d-inline">
              <input type="radio" name={`model3d-mode-${caseId}`} value={m} checked={mode === m} onChange={() => setMode(m)} data-testid={`model3d-mode-${m}`} />
              {m === 'view' ? 'Only look' : m === 'measure' ? 'Measure' : 'Comment'}
            </label>
          ))}
        </fieldset>
        <button type="button" onClick={() => scenes().forEach((s) => s.rotate(-15, 0))} aria-label="Rotate left 15 degrees">⟲ Left</button>
        <button type="button" onClick={() => scenes().forEach((s) => s.rotate(15, 0))} aria-label="Rotate right 15 degrees">⟳ Right</button>
        <button type="button" onClick={() => scenes().forEach((s) => s.rotate(0, 15))} aria-label="Tilt up 15 degrees">Up</button>
        <button type="button" onClick={() => scenes().forEach((s) => s.rotate(0, -15))} aria-label="Tilt down 15 degrees">Down</button>
        <button type="button" onClick={() => scenes().forEach((s) => s.zoom(1.25))} data-testid="model3d-zoom-in">Zoom in</button>
        <button type="button" onClick={() => scenes().forEach((s) => s.zoom(0.8))} data-testid="model3d-zoom-out">Zoom out</button>
        <button type="button" onClick={() => scenes().forEach((s) => s.reset())} data-testid="model3d-reset">Reset view</button>
        <button type="button" onClick={() => sceneA.current?.pickCentre()} disabled={mode === 'view'} data-testid="model3d-pick-centre">
          Pick the point at the centre
        </button>
      </div>
      <div className={compare ? 'model3d-views model3d-two' : 'model3d-views'}>
        {view(jobA, 'a')}
        {compare && view(jobB, 'b')}
      </div>
      {mode === 'measure' && <MeasurePanel points={measure} distance={measure.length === 2 ? distance(measure[0]!, measure[1]!) : null} onClear={() => setMeasure([])} />}
      <CommentPanel
        caseId={caseId}
        active={mode === 'comment'}
        draft={draft}
        comments={comments}
        versions={versions}
        onPosted={(c) => {
          setComments(c);
          setDraft(null);
        }}
        onCancel={() => setDraft(null)}
      />
    </section>
  );
}

const EMPTY: MeshPart[] = [];
