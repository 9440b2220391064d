// The window geometry's field order is written twice: the list (WINDOW_GEOM_FIELDS, what asm/window.ts reads) and
// the writer the wasm kernels' calls use. They must agree.
import { describe, expect, it } from 'vitest';
import { WINDOW_GEOM_FIELDS, type WindowGeom, writeWindowGeom } from '../../src/core/window-geom.js';

describe('writeWindowGeom', () => {
  it('writes every field, in WINDOW_GEOM_FIELDS order, from the given index', () => {
    const g = Object.fromEntries(WINDOW_GEOM_FIELDS.map((f, i) => [f, 100 + i])) as WindowGeom;
    const v = new Int32Array(3 + WINDOW_GEOM_FIELDS.length + 2).fill(-1);
    writeWindowGeom(g, v, 3);
    expect(Array.from(v)).toEqual([-1, -1, -1, ...WINDOW_GEOM_FIELDS.map((f) => g[f]), -1, -1]);
  });
});
