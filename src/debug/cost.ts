// A small cost model for recorded ops: floating-point operations and bytes moved, per primitive.
import { sizeOf } from '../core/shape.js';
import type { WindowGeom } from '../backend/kernels.js';
import { bytesPer, type OpRecord } from './record.js';

/** Primitives that only move or view data (no arithmetic). */
const MOVEMENT = new Set([
  'reshape',
  'transpose',
  'broadcastTo',
  'slice',
  'pad',
  'concat',
  'im2col',
  'take',
  'cast',
]);

/**
 * FLOPs of one recorded op: a multiply-add counts 2 (matmul = 2·m·n·k per batch), an elementwise op or
 * a reduction counts one per input element, col2im and scatterAdd one add per value summed back,
 * poolArgmax one comparison per window element; movement ops count 0.
 */
export function flopsOf(r: OpRecord): number {
  const out = r.output.size;
  switch (r.op) {
    case 'matmul': {
      const [a] = r.inputs;
      const { transA } = r.params as { transA: boolean };
      const k = transA ? a.shape[a.rank - 2] : a.shape[a.rank - 1];
      return 2 * out * k; // out already counts batch·m·n
    }
    case 'sum':
    case 'max':
    case 'argmax':
      return r.inputs[0].size;
    case 'col2im':
    case 'scatterAdd':
      return r.inputs[0].size;
    case 'poolArgmax': {
      const g = (r.params as { geom: WindowGeom }).geom;
      return g.n * g.outH * g.outW * g.c * g.kh * g.kw;
    }
    default:
      return MOVEMENT.has(r.op) ? 0 : out;
  }
}

/** Bytes read plus written (reshape is a view: 0). */
export function bytesOf(r: OpRecord): number {
  if (r.op === 'reshape') return 0;
  const read = r.inputs.reduce((a, t) => a + t.size * bytesPer(t.dtype), 0);
  return read + r.output.size * bytesPer(r.output.dtype);
}

/** Human-readable count: 1234567 → 1.23M. */
export function humanCount(v: number): string {
  if (v < 1000) return String(v);
  const units = ['k', 'M', 'G', 'T'];
  let u = -1;
  let x = v;
  while (x >= 1000 && u < units.length - 1) {
    x /= 1000;
    u++;
  }
  return `${+x.toPrecision(3)}${units[u]}`;
}

export const elementsOf = (s: readonly number[]): number => sizeOf(s);
