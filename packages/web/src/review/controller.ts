/**
 * The review page's state outside React: the viewer, the two workers, the label map being
 * edited (RAS order, shared with NiiVue's drawing layer), its undo history and voxel count.
 * The page renders `state` and calls the actions; every change calls `onChange`.
 */
import { PREVIEW_VOXELS, readStl } from '@scan2print/core';
import { ReviewViewer, type Pick, type Window } from './viewer.js';
import { WorkerClient } from './worker-client.js';
import { brushOffsets, stamp, strokePoints, type StrokeBefore, type Vec3 } from './brush.js';
import { clearPatch, diffPatch, EditHistory, strokePatch } from './history.js';
import type { RasLayout } from './ras-order.js';
import type { EditRequest, EditResponse, VolumeRequest, VolumeResponse } from './messages.js';
import { artifactBytes, artifactUrl, loadLatestVersion, type ModelVersion } from './review-api.js';
import { inflateIfGzip } from './inflate.js';

const PREVIEW_PENDING = 'The threshold preview is still being computed: edit once it shows.';
export type Tool = 'navigate' | 'paint' | 'erase' | 'remove-island' | 'keep-component';

export interface ReviewState {
  phase: 'loading' | 'ready' | 'no-model' | 'error';
  message: string;
  version: ModelVersion | null;
  count: number;
  canUndo: boolean;
  canRedo: boolean;
  undoLabel: string | null;
  redoLabel: string | null;
  /** Latency of the last threshold preview shown: input → overlay on screen, and the worker's part. */
  latency: { totalMs: number; workerMs: number; hu: number } | null;
  busy: string | null;
  /** CT value range, for the threshold slider's bounds. */
  huRange: [number, number];
  /** RAS voxel spacing in mm (brush size in voxels). */
  spacing: Vec3;
  /** The 2D tiles on the canvas in CSS pixels (for tests and the pointer hint). */
  tiles: Array<{ plane: number; left: number; top: number; width: number; height: number }>;
}

const nextFrame = () => new Promise<void>((r) => requestAnimationFrame(() => r()));


export class ReviewController {
  state: ReviewState = {
    phase: 'loading', message: 'Loading the model…', version: null, count: 0, canUndo: false, canRedo: false, undoLabel: null,
    redoLabel: null, latency: null, busy: null, huRange: [-1024, 3071], spacing: [1, 1, 1], tiles: [],
  };
  private viewer: ReviewViewer | null = null;
  private volumeW = new WorkerClient<VolumeRequest, VolumeResponse>(new Worker(new URL('./volume.worker.ts', import.meta.url), { type: 'module' }));
  private editW = new WorkerClient<EditRequest, EditResponse>(new Worker(new URL('./edit.worker.ts', import.meta.url), { type: 'module' }));
  private labels: Uint8Array = new Uint8Array(0);
  private labelsFile: Uint8Array = new Uint8Array(0);
  private layout: RasLayout | null = null;
  private history = new EditHistory();
  private closed = false;
  // Threshold preview: one request in flight, the latest wanted value waits.
  private inFlight = false;
  private wanted: { lo: number; hi: number; at: number } | null = null;
  private thresholdBase: Uint8Array | null = null;
  private commitTimer: ReturnType<typeof setTimeout> | undefined;
  private stroke: { before: StrokeBefore; last: Vec3; plane: Pick['plane']; value: number; frame: boolean } | null = null;

  constructor(
    private readonly caseId: string,
    private readonly onChange: (s: ReviewState) => void,
  ) {}

  private set(p: Partial<ReviewState>): void {
    if (this.closed) return;
    this.state = { ...this.state, ...p };
    this.onChange(this.state);
  }

  private syncHistory(): void {
    const n = this.history.next;
    this.set({ canUndo: this.history.canUndo, canRedo: this.history.canRedo, undoLabel: n.undo, redoLabel: n.redo });
  }

  /**
   * Loads the latest succeeded model version into the canvas. The volume worker fetches and
   * inflates the CT once; a downsampled preview goes on screen first (the first picture in
   * about a second even with software WebGL), then the full volume, then the label map.
   */
  async open(canvas: HTMLCanvasElement, win: Window): Promise<void> {
    try {
      this.set({ phase: 'loading', message: 'Loading the model…' });
      const { version } = await loadLatestVersion(this.caseId);
      if (!version) return this.set({ phase: 'no-model', message: 'This case has no finished model yet: run a conversion first.', version: null });
      if (!version.volume || !version.labels) {
        return this.set({ phase: 'error', message: 'This model version has no CT volume or label map to review (volume.nii.gz, labels.nii.gz).', version });
      }
      this.version = version;
      this.previewStl = null;
      this.meshShown = false;
      // The job's own preview (~2 MB) when it wrote one; else the worker makes one from the full CT.
      const previewing = version.volumePreview ? artifactBytes(version.volumePreview).then(inflateIfGzip, () => null) : null;
      const previewVoxels = previewing ? 0 : PREVIEW_VOXELS;
      const loading = this.volumeW.call<Extract<VolumeResponse, { type: 'loaded' }>>({ type: 'load', url: artifactUrl(version.volume), previewVoxels });
      const labBytes = artifactBytes(version.labels);
      this.viewer ??= await ReviewViewer.attach(canvas);
      const early = await previewing;
      if (early) {
        this.set({ message: 'Loading the full-resolution CT…' });
        this.viewer.showVolume(await this.viewer.readVolume(early.slice().buffer, win, 'preview'));
        await nextFrame();
        this.markFirstSlice();
      }
      const loaded = await loading;
      performance.mark('s2p-review-decoded', { detail: loaded.ms });
      if (loaded.preview) {
        this.set({ message: 'Loading the full-resolution CT…' });
        this.viewer.showVolume(await this.viewer.readVolume(loaded.preview, win, 'preview'));
        await nextFrame();
        this.markFirstSlice();
      }
      const full = await this.volumeW.call<Extract<VolumeResponse, { type: 'full' }>>({ type: 'full' });
      const ct = await this.viewer.readVolume(full.nii, win, 'volume');
      const { layout, spacing, nativeDims } = ct;
      this.layout = layout;
      // The label map is read in its worker while NiiVue uploads and draws the full CT.
      this.labelsFile = await labBytes;
      const reading = this.editW.call<Extract<EditResponse, { type: 'labels' }>>({ type: 'labels', file: this.labelsFile.slice().buffer, layout, nativeDims });
      this.viewer.showVolume(ct);
      this.markFirstSlice();
      performance.mark('s2p-review-full');
      const labels = await reading;
      performance.mark('s2p-review-labels-read');
      this.labels = labels.labels;
      this.viewer.showLabels(this.labels);
      performance.mark('s2p-review-labels-shown');
      if (this.show3D) void this.loadMesh();
      this.history.clear();
      this.syncHistory();
      performance.mark('s2p-review-ready');
      this.set({ phase: 'ready', message: '', version, count: labels.count, huRange: [full.min, full.max], spacing, tiles: this.tiles() });
    } catch (e) {
      this.set({ phase: 'error', message: `The model could not be shown: ${(e as Error).message}` });
    }
  }

  /** The CT is on screen: bench/web/review.mjs times "first slice visible" to this mark. */
  private markFirstSlice(): void {
    if (!performance.getEntriesByName('s2p-first-slice', 'mark').length) performance.mark('s2p-first-slice');
  }

  private version: ModelVersion | null = null;
  private previewStl: Uint8Array | null = null;
  private meshShown = false;
  private show3D = false;

  /**
   * The 3D tile (CT volume rendering and the preview mesh). Off by default: on a machine
   * without a GPU (software WebGL) ray casting a 40-megavoxel CT takes seconds per frame.
   * The preview mesh is fetched only when the tile is first shown (the 3D panel below has its own).
   */
  setShow3D(on: boolean): void {
    this.show3D = on;
    if (on && this.state.phase === 'ready') void this.loadMesh();
    this.viewer?.setShow3D(on);
    this.set({ tiles: this.tiles() });
  }

  private async loadMesh(): Promise<void> {
    const v = this.version;
    if (this.meshShown || !v?.preview || !this.viewer) return;
    this.meshShown = true;
    try {
      this.previewStl ??= await artifactBytes(v.preview);
      if (this.closed || this.version !== v) return;
      const mesh = readStl(this.previewStl, 'preview.stl');
      this.viewer.showMesh(mesh.positions, mesh.indices);
    } catch (e) {
      this.meshShown = false;
      this.set({ message: `The preview mesh could not be shown: ${(e as Error).message}` });
    }
  }

  /**
   * Moves the crosshair, and with it the slices shown, by whole voxels (the canvas's arrow and
   * Page keys: NiiVue itself moves slices by key only with the mouse over the canvas). Returns
   * the crosshair's position after the move (fractions of the volume, NiiVue's), or null.
   */
  step(d: readonly [number, number, number]): number[] | null {
    const nv = this.viewer?.nv;
    if (!nv || nv.volumes.length === 0) return null;
    nv.moveCrosshairInVox(d[0], d[1], d[2]);
    return Array.from(nv.scene.crosshairPos as ArrayLike<number>, (x) => Math.round(x * 1e4) / 1e4);
  }

  /** The 2D tiles in CSS pixels relative to the canvas. */
  tiles(): ReviewState['tiles'] {
    const nv = this.viewer?.nv;
    if (!nv) return [];
    const dpr = nv.uiData.dpr ?? 1;
    return nv.screenSlices
      .filter((s) => s.axCorSag <= 2)
      .map((s) => {
        const [l, t, w, h] = s.leftTopWidthHeight as [number, number, number, number];
        return { plane: s.axCorSag, left: l / dpr, top: t / dpr, width: w / dpr, height: h / dpr };
      });
  }

  refreshTiles(): void {
    this.set({ tiles: this.tiles() });
  }

  setWindow(win: Window): void {
    this.viewer?.setWindow(win);
  }

  /** Re-segments at lo..hi HU in the worker and shows it; returns when this or a later value is on screen. */
  threshold(lo: number, hi: number, at = performance.now()): void {
    if (this.state.phase !== 'ready') return;
    this.thresholdBase ??= this.labels.slice();
    this.wanted = { lo, hi, at };
    if (!this.inFlight) void this.runThreshold();
  }

  private async runThreshold(): Promise<void> {
    while (this.wanted && !this.closed) {
      const w = this.wanted;
      this.wanted = null;
      this.inFlight = true;
      try {
        const r = await this.volumeW.call<Extract<VolumeResponse, { type: 'threshold' }>>({ type: 'threshold', lo: w.lo, hi: w.hi, layout: this.layout! });
        if (this.closed) return;
        this.labels = r.labels;
        this.viewer!.showLabels(this.labels);
        await nextFrame();
        const message = this.state.message === PREVIEW_PENDING && !this.wanted ? '' : this.state.message;
        this.set({ count: r.count, latency: { totalMs: performance.now() - w.at, workerMs: r.ms, hu: w.lo }, message });
        clearTimeout(this.commitTimer);
        this.commitTimer = setTimeout(() => this.commitThreshold(`threshold ${w.lo} HU`), 400);
      } catch (e) {
        this.set({ message: `Threshold failed: ${(e as Error).message}` });
      } finally {
        this.inFlight = false;
      }
    }
  }

  /** Records the threshold series as one undo step (after the slider rests, or before another edit). */
  private commitThreshold(label = 'threshold'): void {
    clearTimeout(this.commitTimer);
    if (!this.thresholdBase || this.inFlight || this.wanted) return;
    this.history.push(diffPatch(label, this.thresholdBase, this.labels));
    this.thresholdBase = null;
    this.syncHistory();
  }

  /**
   * True (and says so) while a threshold preview is on its way: the preview replaces the whole
   * label map when it lands, so an edit made meanwhile would vanish without a word.
   */
  private previewPending(): boolean {
    if (!this.inFlight && !this.wanted) return false;
    this.set({ message: PREVIEW_PENDING });
    return true;
  }

  /** Starts a paint or erase stroke at the pointer; false when the pointer is not over a 2D slice. */
  strokeStart(e: { clientX: number; clientY: number }, value: number, radius_mm: number): boolean {
    const p = this.viewer?.pick(e);
    if (!p || this.state.phase !== 'ready' || this.previewPending()) return false;
    this.commitThreshold();
    this.stroke = { before: new Map(), last: p.voxel, plane: p.plane, value, frame: false };
    this.stampAt(p.voxel, radius_mm);
    return true;
  }

  strokeMove(e: { clientX: number; clientY: number }, radius_mm: number): void {
    const s = this.stroke;
    const p = s && this.viewer?.pick(e);
    if (!s || !p || p.plane !== s.plane) return;
    for (const v of strokePoints(s.last, p.voxel)) this.stampAt(v, radius_mm);
    s.last = p.voxel;
  }

  private stampAt(v: Vec3, radius_mm: number): void {
    const s = this.stroke!;
    stamp(this.labels, this.layout!.dims, v, brushOffsets(radius_mm, this.state.spacing, s.plane), s.value, s.before);
    // One texture upload per frame, however many pointer events arrive.
    if (!s.frame) {
      s.frame = true;
      requestAnimationFrame(() => {
        s.frame = false;
        this.viewer?.refreshLabels();
      });
    }
  }

  strokeEnd(): void {
    const s = this.stroke;
    this.stroke = null;
    if (!s || s.before.size === 0) return;
    const p = strokePatch(s.value === 0 ? 'erase' : 'paint', this.labels, s.before);
    this.history.push(p);
    this.viewer?.refreshLabels();
    this.set({ count: this.state.count + p.delta });
    this.syncHistory();
  }

  /** Removes the clicked island, or keeps only it. */
  async component(e: { clientX: number; clientY: number }, mode: 'remove' | 'keep'): Promise<void> {
    const p = this.viewer?.pick(e);
    if (!p || this.state.phase !== 'ready' || this.state.busy || this.previewPending()) return;
    this.commitThreshold();
    const [nx, ny] = this.layout!.dims;
    const seed = p.voxel[0] + nx * (p.voxel[1] + ny * p.voxel[2]);
    if (this.labels[seed] === 0) return this.set({ message: 'That point is not on the segmentation: click a coloured voxel.' });
    this.set({ busy: mode === 'remove' ? 'Removing the island…' : 'Keeping the component…', message: '' });
    try {
      const copy = this.labels.slice();
      const r = await this.editW.call<Extract<EditResponse, { type: 'component' }>>({ type: 'component', mode, labels: copy.buffer, dims: this.layout!.dims, seed }, [copy.buffer]);
      const patch = clearPatch(mode === 'remove' ? 'remove island' : 'keep component', this.labels, r.indices);
      this.history.push(patch);
      this.viewer?.refreshLabels();
      this.set({ count: this.state.count + patch.delta });
      this.syncHistory();
    } catch (err) {
      this.set({ message: `That edit failed: ${(err as Error).message}` });
    } finally {
      this.set({ busy: null });
    }
  }

  undo(): void {
    if (this.previewPending()) return;
    this.commitThreshold();
    const d = this.history.undo(this.labels);
    if (d === null) return;
    this.viewer?.refreshLabels();
    this.set({ count: this.state.count + d });
    this.syncHistory();
  }

  redo(): void {
    if (this.previewPending()) return;
    const d = this.history.redo(this.labels);
    if (d === null) return;
    this.viewer?.refreshLabels();
    this.set({ count: this.state.count + d });
    this.syncHistory();
  }

  /** The edited label map as labels.nii.gz bytes in the downloaded file's geometry. */
  async exportLabels(): Promise<Uint8Array> {
    this.commitThreshold();
    const copy = this.labels.slice();
    const r = await this.editW.call<Extract<EditResponse, { type: 'export' }>>(
      { type: 'export', labels: copy.buffer, layout: this.layout!, file: this.labelsFile.slice().buffer },
      [copy.buffer],
    );
    return r.bytes;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.commitTimer);
    this.volumeW.terminate();
    this.editW.terminate();
    this.viewer?.dispose();
  }
}
