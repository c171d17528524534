/** What the page and the mesh worker say to each other. */
import type { MeshPart } from './components.js';

export interface MeshRequest {
  id: number;
  bytes: ArrayBuffer;
  /** File name: picks the reader when the bytes do not (STL or OBJ). */
  name: string;
}

export type MeshResponse = { id: number; parts: MeshPart[]; ms: number; error?: undefined } | { id: number; error: string; parts?: undefined };
