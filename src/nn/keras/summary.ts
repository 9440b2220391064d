// Keras-format model summaries: Layer (type) | Output Shape | Param # [| Connected to] [| Formula].
import { fmtBatchShape, type Layer, type ShapeWithBatch } from '../layer.js';

export interface SummaryRow {
  layer: Layer;
  outputShapes: ShapeWithBatch[];
  /** Shown instead of the shapes (Keras's `multiple` for a layer called with different shapes). */
  outputText?: string;
  connectedTo?: string[];
  /** Params counted in this row (0 when a shared layer repeats). */
  params: number;
}

export interface SummaryOptions {
  /** Add a column with each row's parameter formula, e.g. `(4·4·1+1)·10 = 170`. */
  formulas?: boolean;
  /** Print with console.log (default true); the table is returned either way. */
  print?: boolean | ((line: string) => void);
  /** Input shape without batch, for models that are not built yet (define-by-run modules). */
  inputShape?: (number | null)[];
}

const num = (v: number): string => v.toLocaleString('en-US');

export function formatSummary(
  name: string,
  rows: SummaryRow[],
  weights: { trainable: number; nonTrainable: number },
  opts: SummaryOptions,
): string {
  const showConn = rows.some((r) => r.connectedTo && r.connectedTo.length);
  const cells = rows.map((r) => {
    const shape =
      r.outputText ??
      (r.outputShapes.length === 1
        ? fmtBatchShape(r.outputShapes[0])
        : `[${r.outputShapes.map(fmtBatchShape).join(', ')}]`);
    const c = [`${r.layer.name} (${r.layer.className})`, shape, num(r.params)];
    if (showConn) c.push((r.connectedTo ?? []).join(', '));
    if (opts.formulas) c.push(r.params ? (r.layer.paramFormula() ?? num(r.params)) : '');
    return c;
  });
  const head = ['Layer (type)', 'Output Shape', 'Param #'];
  if (showConn) head.push('Connected to');
  if (opts.formulas) head.push('Formula');
  // Keras's minimum column widths (29, 26, 10 for a 65-character line), widened so nothing is cut.
  const mins = [29, 26, 10, 20, 20];
  const widths = head.map((h, i) => Math.max(mins[i], h.length + 1, ...cells.map((c) => c[i].length + 1)));
  const total = widths.reduce((a, b) => a + b, 0);
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i]))
      .join('')
      .trimEnd();
  const out = [`Model: "${name}"`, '_'.repeat(total), line(head), '='.repeat(total)];
  cells.forEach((c, i) => {
    out.push(line(c));
    out.push(i === cells.length - 1 ? '='.repeat(total) : '_'.repeat(total));
  });
  if (!cells.length) out.push('='.repeat(total));
  out.push(`Total params: ${num(weights.trainable + weights.nonTrainable)}`);
  out.push(`Trainable params: ${num(weights.trainable)}`);
  out.push(`Non-trainable params: ${num(weights.nonTrainable)}`);
  out.push('_'.repeat(total));
  return out.join('\n');
}
