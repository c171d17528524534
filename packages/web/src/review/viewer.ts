/**
 * The review canvas: one NiiVue instance (WebGL2) showing the CT in axial, coronal and
 * sagittal tiles plus a 3D render tile, the label map as its drawing layer (a coloured,
 * translucent overlay that can be replaced or edited and re-uploaded in one texture write)
 * and the model's preview mesh in the same scene.
 *
 * NiiVue was chosen over Cornerstone3D because one canvas gives all four views with label
 * overlays, a drawing bitmap made for editing, and meshes in the same world space, in a
 * single dependency with no extra loaders or codecs.
 */
import { Niivue, NVImage, NVMesh, SHOW_RENDER, SLICE_TYPE, MULTIPLANAR_TYPE } from '@niivue/niivue';
import type { RasLayout } from './ras-order.js';
import type { SlicePlane, Vec3 } from './brush.js';

export interface Window {
  width: number;
  level: number;
}

/** A CT read by NiiVue, not yet shown: its image and its RAS layout. */
export interface ReadVolume {
  img: NVImage;
  layout: RasLayout;
  spacing: Vec3;
  /** Voxels along the file's own axes. */
  nativeDims: Vec3;
}

/** A point under the pointer: its RAS voxel and the plane of the 2D tile it lies in. */
export interface Pick {
  voxel: Vec3;
  plane: SlicePlane;
}

export class ReviewViewer {
  readonly nv: Niivue;
  private mesh: NVMesh | null = null;

  private constructor(nv: Niivue) {
    this.nv = nv;
  }

  static async attach(canvas: HTMLCanvasElement): Promise<ReviewViewer> {
    const nv = new Niivue({
      backColor: [0.08, 0.09, 0.1, 1],
      crosshairColor: [0.2, 0.8, 1, 1],
      multiplanarShowRender: SHOW_RENDER.NEVER,
      multiplanarLayout: MULTIPLANAR_TYPE.GRID,
      isColorbar: false,
      dragAndDropEnabled: false,
      show3Dcrosshair: true,
      isOrientCube: false,
      logLevel: 'error',
      // The page's Undo/Redo own the history; NiiVue's copies would be 37 MB each.
      maxDrawUndoBitmaps: 0,
    });
    await nv.attachToCanvas(canvas);
    nv.setSliceType(SLICE_TYPE.MULTIPLANAR);
    return new ReviewViewer(nv);
  }

  /**
   * Reads a CT (NIfTI bytes, the buffer is handed over to NiiVue) with the window, and gives
   * NiiVue's RAS layout of it; nothing is drawn yet (showVolume). Split so that the label map
   * can be read in its worker while NiiVue uploads and draws the CT.
   */
  async readVolume(nii: ArrayBuffer, win: Window, name: string): Promise<ReadVolume> {
    const img = await NVImage.loadFromUrl({
      url: `${name}.nii`,
      name: `${name}.nii`,
      buffer: nii,
      colormap: 'gray',
      cal_min: win.level - win.width / 2,
      cal_max: win.level + win.width / 2,
      trustCalMinMax: true,
    });
    const d = img.dimsRAS!;
    const h = img.hdr!.dims;
    const p = img.pixDimsRAS!;
    return {
      img,
      layout: { dims: [d[1]!, d[2]!, d[3]!], start: img.img2RASstart!.slice(0, 3) as Vec3, step: img.img2RASstep!.slice(0, 3) as Vec3 },
      spacing: [p[1]!, p[2]!, p[3]!],
      nativeDims: [h[1]!, h[2]!, h[3]!],
    };
  }

  /** Shows a CT read by readVolume in place of the one on screen, with an empty drawing layer. */
  showVolume(v: ReadVolume): void {
    for (const old of [...this.nv.volumes]) this.nv.removeVolume(old);
    this.nv.addVolume(v.img);
    this.nv.createEmptyDrawing();
    this.nv.setDrawOpacity(0.55);
  }

  /** Shows `labels` (RAS order, the same array is kept and edited in place) as the overlay. */
  showLabels(labels: Uint8Array): void {
    this.nv.drawBitmap = labels;
    this.nv.refreshDrawing(true);
  }

  /** Re-uploads the overlay after `labels` changed in place. */
  refreshLabels(): void {
    this.nv.refreshDrawing(true);
  }

  setShow3D(on: boolean): void {
    this.nv.opts.multiplanarShowRender = on ? SHOW_RENDER.ALWAYS : SHOW_RENDER.NEVER;
    this.nv.drawScene();
  }

  setWindow(win: Window): void {
    const v = this.nv.volumes[0];
    if (!v) return;
    v.cal_min = win.level - win.width / 2;
    v.cal_max = win.level + win.width / 2;
    this.nv.updateGLVolume();
  }

  /**
   * The model's preview mesh in the same scene. Our meshes are in LPS mm, NiiVue's world
   * is RAS mm: x and y change sign (a rotation by 180° about z, so the winding stays outward).
   */
  showMesh(positionsLps: Float32Array, indices: Uint32Array): void {
    if (this.mesh) this.nv.removeMesh(this.mesh);
    const pts = positionsLps.slice();
    for (let i = 0; i < pts.length; i += 3) {
      pts[i] = -pts[i]!;
      pts[i + 1] = -pts[i + 1]!;
    }
    this.mesh = new NVMesh(pts, indices.slice(), 'preview.stl', new Uint8Array([236, 226, 198, 255]), 1, true, this.nv.gl);
    this.nv.addMesh(this.mesh);
    // Only the 3D tile shows the mesh; on the slices it would hide the overlay being edited.
    this.nv.setMeshThicknessOn2D(0);
  }

  /** The RAS voxel and 2D plane under a pointer event, or null over the 3D tile or outside the volume. */
  pick(e: { clientX: number; clientY: number }): Pick | null {
    const canvas = this.nv.canvas;
    if (!canvas) return null;
    const r = canvas.getBoundingClientRect();
    const dpr = this.nv.uiData.dpr ?? 1;
    const x = (e.clientX - r.left) * dpr;
    const y = (e.clientY - r.top) * dpr;
    const tile = this.nv.tileIndex(x, y);
    if (tile < 0) return null;
    const plane = this.nv.screenSlices[tile]?.axCorSag;
    if (plane !== SLICE_TYPE.AXIAL && plane !== SLICE_TYPE.CORONAL && plane !== SLICE_TYPE.SAGITTAL) return null;
    const frac = this.nv.canvasPos2frac([x, y]);
    if (frac[0]! < 0) return null;
    const v = this.nv.frac2vox(frac);
    return { voxel: [v[0]!, v[1]!, v[2]!], plane: plane as SlicePlane };
  }

  dispose(): void {
    this.nv.cleanup();
  }
}
