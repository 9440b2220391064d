// The cost of a recorded computation: each primitive's row carries its own cost model (`cost` in ops/prim.ts),
// so this file only looks the row up for each recorded op and formats the totals.
import { type Cost, perOutputCost } from '../ops/prim.js';
import { PRIMS } from '../ops/table.js';
import type { OpRecord } from './record.js';

/** The cost of one recorded op, from its primitive's row. */
export function costOf(r: OpRecord): Cost {
  const row = (PRIMS as Record<string, { cost(c: unknown): Cost } | undefined>)[r.op];
  const c = { ins: r.inputs, out: r.output, p: r.params };
  // NOTE: a record that is not a primitive (a customGrad op) is counted as one FLOP per output value.
  return row ? row.cost(c) : perOutputCost(c);
}

/**
 * FLOPs of one recorded op: a multiply-add counts 2 (matmul = 2·m·n·k per batch), an elementwise op or
 * a reduction counts one per input element, col2im and scatterAdd one add per value summed back,
 * poolArgmax one comparison per window element; movement ops count 0.
 */
export const flopsOf = (r: OpRecord): number => costOf(r).flops;

/** Bytes read plus written (reshape is a view: 0). */
export const bytesOf = (r: OpRecord): number => costOf(r).bytes;

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
