/**
 * One NiiVue canvas in 3D render mode showing a model's components, with point markers.
 * NiiVue gives rotation (drag, arrow keys on the focused canvas), zoom (wheel) and a depth
 * picker: a click on a surface reports the world point under the cursor. The parent gets
 * the Niivue instance (to sync two views) and a handle for the keyboard buttons.
 *
 * Coordinates: see geometry.ts. Meshes go in as RAS (x, y negated); picks come out in RAS
 * and are flipped back, so everything this component reports is LPS mm.
 */
import { forwardRef, useEffect, useImperativeHandle, useRef, useState } from 'react';
import { Niivue, NVMesh } from '@niivue/niivue';
import type { MeshPart } from './components.js';
import { flipLpsRas, positionsToRas, rod, sphere, type SimpleMesh, type Vec3 } from './geometry.js';

export interface SceneMarker {
  point: Vec3;
  /** RGB 0..255. */
  color: [number, number, number];
}

export interface SceneHandle {
  zoom(factor: number): void;
  rotate(dAzimuth: number, dElevation: number): void;
  reset(): void;
  /** Picks the surface point at the centre of the view (keyboard alternative to a click). */
  pickCentre(): void;
}

interface Props {
  parts: readonly MeshPart[];
  hidden: ReadonlySet<number>;
  colors: ReadonlyArray<[number, number, number]>;
  markers: readonly SceneMarker[];
  /** A drawn segment between two LPS points (the measurement). */
  segment: [Vec3, Vec3] | null;
  /** Called with the LPS point under a click (no drag) on a visible surface, when given. */
  onPick: ((p: Vec3) => void) | null;
  onReady?: (nv: Niivue | null) => void;
  label: string;
  testId: string;
}

const DEFAULT_AZIMUTH = 110;
const DEFAULT_ELEVATION = 10;
/** A click that moves more than this many CSS pixels is a rotation, not a pick. */
const DRAG_PX = 4;
/** Crosshair position NiiVue never picks (fractions are 0..1): marks "nothing was hit". */
const MISS = new Float32Array([-1, -1, -1]);

function toNvMesh(m: SimpleMesh, name: string, rgb: readonly number[], gl: WebGL2RenderingContext): NVMesh {
  return new NVMesh(positionsToRas(m.positions), m.indices, name, Uint8Array.of(rgb[0]!, rgb[1]!, rgb[2]!, 255), 1, true, gl);
}

export const ModelScene = forwardRef<SceneHandle, Props>(function ModelScene(props, ref) {
  const { parts, hidden, colors, markers, segment, onPick, onReady, label, testId } = props;
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const nvRef = useRef<Niivue | null>(null);
  const partMeshes = useRef<NVMesh[]>([]);
  const markerMeshes = useRef<NVMesh[]>([]);
  const onPickRef = useRef(onPick);
  onPickRef.current = onPick;
  const pickState = useRef<{ down: [number, number] | null; hit: Vec3 | null }>({ down: null, hit: null });
  // Niivue attaches asynchronously; the scene effects below run again once it has.
  const [ready, setReady] = useState(false);

  // One Niivue per canvas for the component's life.
  useEffect(() => {
    const canvas = canvasRef.current!;
    const nv = new Niivue({
      backColor: [0.12, 0.13, 0.15, 1],
      show3Dcrosshair: false,
      isOrientCube: true,
      isColorbar: false,
      dragAndDropEnabled: false,
      loadingText: '',
      logLevel: 'error',
    });
    let alive = true;
    const st = pickState.current;
    nv.onLocationChange = (loc: unknown) => {
      const { frac, mm } = loc as { frac: ArrayLike<number>; mm: ArrayLike<number> };
      const missed = frac[0]! < 0 || frac[1]! < 0 || frac[2]! < 0;
      st.hit = missed ? null : flipLpsRas([mm[0]!, mm[1]!, mm[2]!]);
    };
    const down = (e: PointerEvent) => {
      st.down = [e.clientX, e.clientY];
    };
    const up = (e: PointerEvent) => {
      const d = st.down;
      st.down = null;
      if (!d || Math.hypot(e.clientX - d[0], e.clientY - d[1]) > DRAG_PX || !onPickRef.current) return;
      const p = pickAt(nv, canvas, e.clientX, e.clientY, st);
      if (p) onPickRef.current(p);
    };
    canvas.addEventListener('pointerdown', down, { capture: true });
    canvas.addEventListener('pointerup', up);
    void nv.attachToCanvas(canvas).then(() => {
      if (!alive) return;
      nv.setSliceType(nv.sliceTypeRender);
      nv.setRenderAzimuthElevation(DEFAULT_AZIMUTH, DEFAULT_ELEVATION);
      nvRef.current = nv;
      setReady(true);
      onReady?.(nv);
    });
    return () => {
      alive = false;
      canvas.removeEventListener('pointerdown', down, { capture: true });
      canvas.removeEventListener('pointerup', up);
      onReady?.(null);
      nvRef.current = null;
      nv.cleanup();
    };
    // onReady is read once: the parent passes a stable callback.
  }, []);

  // The model's parts: rebuilt when the parts change (another version); colours follow.
  useEffect(() => {
    const nv = nvRef.current;
    if (!nv) return;
    for (const m of partMeshes.current) nv.removeMesh(m);
    partMeshes.current = parts.map((p, i) => toNvMesh(p, `part ${i + 1}`, colors[i % colors.length]!, nv.gl));
    for (const m of partMeshes.current) nv.addMesh(m);
    nv.drawScene();
  }, [parts, colors, ready]);

  useEffect(() => {
    const nv = nvRef.current;
    if (!nv) return;
    partMeshes.current.forEach((m, i) => (m.visible = !hidden.has(i)));
    nv.drawScene();
  }, [hidden, parts, ready]);

  // Markers: small spheres scaled to the model, and the measured segment as a thin rod.
  useEffect(() => {
    const nv = nvRef.current;
    if (!nv) return;
    for (const m of markerMeshes.current) nv.removeMesh(m);
    const r = markerRadius(parts);
    const meshes = markers.map((mk, i) => toNvMesh(sphere(mk.point, r), `marker ${i + 1}`, mk.color, nv.gl));
    if (segment) meshes.push(toNvMesh(rod(segment[0], segment[1], r * 0.3), 'measurement', [255, 214, 10], nv.gl));
    markerMeshes.current = meshes;
    for (const m of meshes) nv.addMesh(m);
    nv.drawScene();
  }, [markers, segment, parts, ready]);

  useImperativeHandle(
    ref,
    () => ({
      zoom(factor) {
        const nv = nvRef.current;
        if (!nv) return;
        nv.volScaleMultiplier = Math.min(8, Math.max(0.2, nv.volScaleMultiplier * factor));
        nv.drawScene();
      },
      rotate(da, de) {
        const nv = nvRef.current;
        if (!nv) return;
        nv.setRenderAzimuthElevation(nv.scene.renderAzimuth + da, Math.max(-90, Math.min(90, nv.scene.renderElevation + de)));
      },
      reset() {
        const nv = nvRef.current;
        if (!nv) return;
        nv.volScaleMultiplier = 1;
        nv.setRenderAzimuthElevation(DEFAULT_AZIMUTH, DEFAULT_ELEVATION);
      },
      pickCentre() {
        const nv = nvRef.current;
        const canvas = canvasRef.current;
        if (!nv || !canvas) return;
        const box = canvas.getBoundingClientRect();
        const p = pickAt(nv, canvas, box.left + box.width / 2, box.top + box.height / 2, pickState.current);
        if (p && onPickRef.current) onPickRef.current(p);
      },
    }),
    [],
  );

  return (
    <div className="model3d-canvas-box">
      <canvas ref={canvasRef} role="img" aria-label={label} data-testid={testId} />
    </div>
  );
});

/**
 * The LPS point of the visible surface under a client position, or null over the background.
 * In render mode NiiVue picks only on a double click (its resetBriCon: set the depth-picker
 * flag, draw twice; the picking pass writes depth, and createOnLocationChange reports the
 * unprojected point). A single click is what people expect here, so this does the same
 * steps for one position. The crosshair is first set to a position the picker never gives,
 * because a click on the background leaves the crosshair where it was.
 */
function pickAt(nv: Niivue, canvas: HTMLCanvasElement, clientX: number, clientY: number, st: { hit: Vec3 | null }): Vec3 | null {
  const box = canvas.getBoundingClientRect();
  const dpr = nv.uiData.dpr ?? 1;
  nv.mousePos = [(clientX - box.left) * dpr, (clientY - box.top) * dpr];
  st.hit = null;
  nv.scene.crosshairPos = MISS.slice() as typeof nv.scene.crosshairPos;
  nv.uiData.mouseDepthPicker = true;
  nv.drawScene();
  nv.drawScene();
  return st.hit;
}

/** Marker size: about 1.2% of the model's largest extent, at least 0.8 mm. */
function markerRadius(parts: readonly MeshPart[]): number {
  let ext = 0;
  for (const p of parts) for (let a = 0; a < 3; a++) ext = Math.max(ext, p.bboxMax[a]! - p.bboxMin[a]!);
  return Math.max(0.8, 0.012 * ext);
}
