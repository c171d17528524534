/**
 * /cases/:id/review: the latest model version's CT with its label map as a translucent
 * overlay (axial, coronal, sagittal and a 3D tile with the preview mesh), window presets,
 * a live threshold, label editing with undo/redo, and "Rebuild model". The state lives in
 * review/controller.ts; this page lays out the controls and routes the pointer and keys.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'wouter';
import { useSession } from '../session.js';
import { ReviewController, type ReviewState, type Tool } from '../review/controller.js';
import { PRESETS, WindowControls } from '../review/WindowControls.js';
import { ThresholdControl } from '../review/ThresholdControl.js';
import { EditToolbar, TOOL_KEYS } from '../review/EditToolbar.js';
import { RebuildPanel } from '../review/RebuildPanel.js';
import type { Window } from '../review/viewer.js';
import { ModelPanel } from '../review/model3d/ModelPanel.js';
import { useCaseActivity } from '../cases/useCaseActivity.js';
import '../review/review.css';

const REBUILD_ROLES = ['engineer', 'org-admin'];

/** Voxel steps of the crosshair per key on the canvas (i: left–right, j: back–front, k: foot–head). */
const SLICE_KEYS: Record<string, readonly [number, number, number]> = {
  ArrowLeft: [-1, 0, 0],
  ArrowRight: [1, 0, 0],
  ArrowDown: [0, -1, 0],
  ArrowUp: [0, 1, 0],
  PageDown: [0, 0, -1],
  PageUp: [0, 0, 1],
};

function typingIn(t: EventTarget | null): boolean {
  return t instanceof HTMLElement && (t.tagName === 'TEXTAREA' || (t.tagName === 'INPUT' && (t as HTMLInputElement).type !== 'range'));
}

export function ReviewPage({ caseId }: { caseId: string }) {
  const { me } = useSession();
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  const ctlRef = useRef<ReviewController | null>(null);
  const [state, setState] = useState<ReviewState | null>(null);
  const [win, setWin] = useState<Window>(PRESETS[0]!.win);
  const winRef = useRef(win);
  const [hu, setHu] = useState(300);
  const [tool, setTool] = useState<Tool>('navigate');
  const [brush, setBrush] = useState(2);
  const [show3D, setShow3D] = useState(false);
  const toolRef = useRef({ tool, brush });
  toolRef.current = { tool, brush };
  winRef.current = win;

  useEffect(() => {
    // Opened from the case page's link (at its foot), the router keeps that scroll offset: the
    // slices are this page's head and must be on screen.
    window.scrollTo(0, 0);
    const c = new ReviewController(caseId, setState);
    ctlRef.current = c;
    void c.open(canvasRef.current!, winRef.current);
    return () => c.close();
  }, [caseId]);

  const onWindow = useCallback((w: Window) => {
    setWin(w);
    ctlRef.current?.setWindow(w);
  }, []);

  // Editing tools take the left button on the 2D tiles before NiiVue sees it (capture phase).
  useEffect(() => {
    const wrap = wrapRef.current!;
    let stroking = false;
    const down = (e: MouseEvent) => {
      const c = ctlRef.current;
      const { tool: t, brush: b } = toolRef.current;
      if (!c || e.button !== 0 || t === 'navigate') return;
      if (t === 'paint' || t === 'erase') {
        if (!c.strokeStart(e, t === 'paint' ? 1 : 0, b)) return;
        stroking = true;
      } else {
        void c.component(e, t === 'remove-island' ? 'remove' : 'keep');
      }
      e.stopPropagation();
      e.preventDefault();
    };
    const move = (e: MouseEvent) => {
      if (!stroking) return;
      ctlRef.current?.strokeMove(e, toolRef.current.brush);
      e.stopPropagation();
    };
    const up = (e: MouseEvent) => {
      if (!stroking) return;
      stroking = false;
      ctlRef.current?.strokeEnd();
      e.stopPropagation();
    };
    wrap.addEventListener('mousedown', down, true);
    wrap.addEventListener('mousemove', move, true);
    window.addEventListener('mouseup', up, true);
    // NiiVue lays its tiles out again in an animation frame after a resize; read them two frames
    // later, or the tiles kept are the previous layout's (a full-page screenshot resizes twice).
    let frame = 0;
    const resize = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        frame = requestAnimationFrame(() => ctlRef.current?.refreshTiles());
      });
    };
    const observer = new ResizeObserver(resize);
    observer.observe(wrap);
    window.addEventListener('resize', resize);
    return () => {
      wrap.removeEventListener('mousedown', down, true);
      wrap.removeEventListener('mousemove', move, true);
      window.removeEventListener('mouseup', up, true);
      window.removeEventListener('resize', resize);
      observer.disconnect();
      cancelAnimationFrame(frame);
    };
  }, []);

  // The canvas's own keys, as its label says: arrows move the sagittal and coronal slices, Page Up/Down the axial one.
  const onCanvasKey = (e: React.KeyboardEvent<HTMLCanvasElement>) => {
    const d = SLICE_KEYS[e.key];
    if (!d || e.ctrlKey || e.metaKey || e.altKey) return;
    const at = ctlRef.current?.step(d);
    if (!at) return;
    e.currentTarget.dataset.crosshair = JSON.stringify(at);
    e.preventDefault();
    e.stopPropagation();
  };

  const onKey = (e: React.KeyboardEvent) => {
    if (typingIn(e.target)) return;
    const c = ctlRef.current;
    const k = e.key.toLowerCase();
    if ((e.ctrlKey || e.metaKey) && (k === 'y' || (k === 'z' && e.shiftKey))) c?.redo();
    else if ((e.ctrlKey || e.metaKey) && k === 'z') c?.undo();
    else if (!e.ctrlKey && !e.metaKey && !e.altKey && TOOL_KEYS[k]) setTool(TOOL_KEYS[k]!);
    else return;
    e.preventDefault();
  };

  // The case's activity (comments, gate signatures) as the event stream reports it: the 3D
  // panel's pinned comments follow another user's without a reload.
  const activityKey = useCaseActivity(caseId);

  const s = state;
  const ready = s?.phase === 'ready';
  // The 3D panel mounts once the slices are ready and it is scrolled near the screen, for the
  // version on screen: mounted at once it fetched and drew the model (a second WebGL context)
  // while the CT loaded, and then while the threshold previews ran, on the same cores.
  const [panelJob, setPanelJob] = useState<string | null>(null);
  const [panelNear, setPanelNear] = useState(false);
  const panelRef = useRef<HTMLElement>(null);
  const readyJob = ready ? (s.version?.job.id ?? null) : null;
  useEffect(() => {
    if (readyJob) setPanelJob(readyJob);
  }, [readyJob]);
  useEffect(() => {
    const el = panelRef.current;
    if (!el || panelNear) return;
    const io = new IntersectionObserver((es) => es.some((e) => e.isIntersecting) && setPanelNear(true), { rootMargin: '0px' });
    io.observe(el);
    return () => io.disconnect();
  }, [panelNear]);
  return (
    <main className="page review" onKeyDown={onKey} data-testid="review" data-state={s?.phase ?? 'loading'}>
      <h1>Review</h1>
      <p>
        <Link href={`/cases/${caseId}`}>Back to the case</Link>
        {s?.version && <> · model from job <code>{s.version.job.id.slice(0, 8)}</code> ({s.version.job.kind})</>}
      </p>
      {s && s.phase !== 'ready' && <p role={s.phase === 'error' ? 'alert' : 'status'} data-testid="review-message">{s.message}</p>}
      <div className="review-layout">
        <section className="review-view" aria-label="Slices and 3D view">
          <div ref={wrapRef} className={`review-canvas tool-${tool}`} data-testid="viewer-tiles" data-tiles={JSON.stringify(s?.tiles ?? [])}>
            <canvas ref={canvasRef} data-testid="viewer-canvas" tabIndex={0} onKeyDown={onCanvasKey}
              aria-label="CT slices (axial, coronal, sagittal) with the label map in colour, and the 3D model. Arrow keys move the sagittal and coronal slices; Page Up and Page Down move the axial slice." />
          </div>
          <label className="review-inline">
            <input type="checkbox" checked={show3D} data-testid="show-3d" onChange={(e) => {
              setShow3D(e.target.checked);
              ctlRef.current?.setShow3D(e.target.checked);
            }} />
            Show the 3D tile (CT volume rendering and the preview mesh; slow without a graphics card)
          </label>
          <p className="review-status" aria-live="polite">
            Labelled voxels: <span data-testid="label-count" data-count={s?.count ?? 0}>{(s?.count ?? 0).toLocaleString('en')}</span>
            {s?.busy && <> · {s.busy}</>}
            {ready && s.message && <> · <span role="alert">{s.message}</span></>}
          </p>
        </section>
        <aside className="review-tools" aria-label="Review tools">
          <WindowControls win={win} onChange={onWindow} />
          <ThresholdControl value={hu} range={s?.huRange ?? [-1024, 3071]} latency={s?.latency ?? null} disabled={!ready}
            onInput={(v, at) => {
              setHu(v);
              ctlRef.current?.threshold(v, 3071, at);
            }} />
          <EditToolbar tool={tool} brush_mm={brush} spacing={s?.spacing ?? [1, 1, 1]} canUndo={!!s?.canUndo} canRedo={!!s?.canRedo}
            undoLabel={s?.undoLabel ?? null} redoLabel={s?.redoLabel ?? null} disabled={!ready}
            onTool={setTool} onBrush={setBrush} onUndo={() => ctlRef.current?.undo()} onRedo={() => ctlRef.current?.redo()} />
          <RebuildPanel caseId={caseId} baseJobId={ready ? s.version!.job.id : null} allowed={REBUILD_ROLES.includes(me.role)}
            exportLabels={() => ctlRef.current!.exportLabels()}
            onDone={() => void ctlRef.current?.open(canvasRef.current!, winRef.current)} />
        </aside>
      </div>
      <section ref={panelRef} className="review-model" aria-label="3D model">
        {/* Keyed by the version on screen: a rebuild's new version reloads the panel's list. */}
        {panelJob && panelNear ? <ModelPanel key={panelJob} caseId={caseId} refreshKey={activityKey} /> : <p>The 3D model appears here once the slices are loaded.</p>}
      </section>
    </main>
  );
}
