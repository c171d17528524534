/**
 * What the review page's canvas shows, read from a screenshot: the 2D tiles' overlay pixels
 * (NiiVue's label colour, red over the CT) and CT grey levels, so a test can tell an overlay
 * on a real CT from a blank or error frame; and the labelled-voxel count the page reports.
 */
import { expect } from 'vitest';
import type { Page } from 'playwright-core';

export interface Tile {
  plane: number;
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface PixelStats {
  overlay: number;
  greyLevels: number;
  total: number;
  /** Page coordinates of a few overlay pixels (for clicking an island). */
  overlayAt: Array<[number, number]>;
}

/** The 2D tiles of the canvas in page coordinates. */
export async function tiles(page: Page): Promise<Tile[]> {
  const box = (await page.getByTestId('viewer-canvas').boundingBox())!;
  const t = JSON.parse((await page.getByTestId('viewer-tiles').getAttribute('data-tiles'))!) as Tile[];
  return t.map((x) => ({ ...x, left: x.left + box.x, top: x.top + box.y }));
}

/**
 * Pixels of a screenshot of the 2D tiles, decoded in the page (createImageBitmap): overlay
 * pixels (NiiVue's label colour 1, red, blended over the CT) and distinct grey levels (CT).
 */
export async function pixelStats(page: Page): Promise<PixelStats> {
  const ts = await tiles(page);
  expect(ts.length).toBe(3);
  const png = await page.screenshot();
  return page.evaluate(
    async ({ b64, ts }) => {
      // Browser globals, untyped here (the test program has no DOM lib).
      const web = globalThis as any;
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bmp = await web.createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const c = new web.OffscreenCanvas(bmp.width, bmp.height);
      const g = c.getContext('2d');
      g.drawImage(bmp, 0, 0);
      const scale = bmp.width / web.innerWidth;
      let overlay = 0;
      let total = 0;
      const greys = new Set<number>();
      const overlayAt: Array<[number, number]> = [];
      for (const t of ts) {
        const x0 = Math.ceil(t.left * scale);
        const y0 = Math.ceil(t.top * scale);
        const w = Math.floor(t.width * scale);
        const h = Math.floor(t.height * scale);
        const d = g.getImageData(x0, y0, w, h).data as Uint8ClampedArray;
        for (let p = 0; p < w * h; p++) {
          const r = d[p * 4]!;
          const gg = d[p * 4 + 1]!;
          const b = d[p * 4 + 2]!;
          total++;
          if (r > 100 && r > 1.5 * gg && r > 1.5 * b) {
            overlay++;
            if (t.plane === 0 && overlay % 97 === 0 && overlayAt.length < 20) overlayAt.push([(x0 + (p % w)) / scale, (y0 + Math.floor(p / w)) / scale]);
          } else if (Math.abs(r - gg) < 6 && Math.abs(gg - b) < 6) greys.add(r);
        }
      }
      return { overlay, greyLevels: greys.size, total, overlayAt };
    },
    { b64: png.toString('base64'), ts },
  );
}

export async function labelCount(page: Page): Promise<number> {
  return Number(await page.getByTestId('label-count').getAttribute('data-count'));
}

/**
 * A mouse stroke across the middle of the axial tile (left to right, 30 % → 70 % of its width).
 * The canvas is scrolled into view first, and the stroke's ends must hit the canvas itself
 * (not another element over it, not a point off screen): otherwise the page never sees the
 * stroke, and the test should say where the pointer was rather than time out on a count.
 */
export async function dragAcrossAxial(page: Page): Promise<void> {
  await page.getByTestId('viewer-canvas').scrollIntoViewIfNeeded();
  const axial = (await tiles(page)).find((t) => t.plane === 0)!;
  const y = axial.top + axial.height * 0.5;
  const xs = [0.3, 0.7].map((f) => axial.left + axial.width * f);
  for (const x of xs) {
    const hit = await page.evaluate(([px, py]) => {
      const el = (globalThis as any).document.elementFromPoint(px, py);
      return el ? `${el.tagName.toLowerCase()}[data-testid=${el.getAttribute('data-testid')}]` : 'nothing';
    }, [x, y] as const);
    expect(hit, `the stroke's end (${x.toFixed(0)}, ${y.toFixed(0)}) in the axial tile ${JSON.stringify(axial)}`).toBe('canvas[data-testid=viewer-canvas]');
  }
  await page.mouse.move(xs[0]!, y);
  await page.mouse.down();
  for (let k = 1; k <= 10; k++) await page.mouse.move(axial.left + axial.width * (0.3 + 0.04 * k), y);
  await page.mouse.up();
}
