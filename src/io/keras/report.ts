// The load report: for every layer, the weights expected and found, with a status per weight, and a text form.
export type WeightStatus = 'matched' | 'missing' | 'unexpected' | 'shape mismatch';

export interface WeightRow {
  status: WeightStatus;
  /** The model's weight (name, shape), absent for an unexpected stored weight. */
  expected: { name: string; shape: number[] } | null;
  /** The stored weight (name as the file has it, shape after conversion), absent when missing. */
  found: { name: string; shape: number[]; path: string } | null;
  /** Conversions applied (Keras 1 gates merged, Theano kernel flipped, ...). */
  notes: string[];
}

export interface LayerRow {
  /** Layer name in the model (null for a stored layer the model does not have). */
  layer: string | null;
  className: string | null;
  /** Name of the stored layer the weights came from (null when none). */
  fileLayer: string | null;
  /** How the stored layer was paired with the model layer. */
  matchedBy: 'name' | 'position' | null;
  weights: WeightRow[];
}

export interface LoadReport {
  source: string;
  format: string;
  kerasVersion: string | null;
  kerasMajor: number;
  backend: string | null;
  backendFrom: string;
  layers: LayerRow[];
  /** Every problem, one line each (empty when the weights fit). */
  problems: string[];
  /** Notes that are not problems (ignored options, conversions, defaults). */
  notes: string[];
  ok: boolean;
  /** Parameter count of the loaded model (trainable and not). */
  params: { total: number; trainable: number };
}

const fmt = (s: number[] | undefined): string => (s ? `(${s.join(', ')}${s.length === 1 ? ',' : ''})` : '-');

/** A readable table of the report, one line per weight. */
export function formatReport(r: LoadReport): string {
  const out: string[] = [];
  out.push(
    `Load report for ${r.source} (${r.format}, Keras ${r.kerasVersion ?? `${r.kerasMajor}.x (assumed)`}, backend ${r.backend ?? 'unknown'}${r.backendFrom === 'weight names' ? ' (inferred from weight names)' : ''})`,
  );
  const rows: string[][] = [['layer', 'weight', 'expected', 'found', 'status']];
  for (const l of r.layers) {
    if (!l.weights.length) continue;
    const lname =
      l.layer === null
        ? `(file) ${l.fileLayer}`
        : `${l.layer}${l.fileLayer && l.fileLayer !== l.layer ? ` ← ${l.fileLayer}` : ''}`;
    l.weights.forEach((w, i) => {
      const status = w.status + (w.notes.length ? ` (${w.notes.join('; ')})` : '');
      rows.push([
        i === 0 ? lname : '',
        w.expected?.name ?? w.found?.name ?? '',
        fmt(w.expected?.shape),
        w.found ? `${w.found.name} ${fmt(w.found.shape)}` : '-',
        status,
      ]);
    });
  }
  const widths = rows[0].map((_, c) => Math.min(48, Math.max(...rows.map((row) => row[c].length))));
  for (const row of rows)
    out.push(
      row
        .map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c])))
        .join('  ')
        .trimEnd(),
    );
  out.push(
    `Total params: ${r.params.total.toLocaleString('en-US')} (trainable ${r.params.trainable.toLocaleString('en-US')})`,
  );
  if (r.notes.length) out.push('Notes:', ...r.notes.map((n) => `  - ${n}`));
  out.push(
    r.ok ? 'All weights matched.' : `${r.problems.length} problem${r.problems.length > 1 ? 's' : ''}:`,
  );
  if (!r.ok) out.push(...r.problems.map((p) => `  - ${p}`));
  return out.join('\n');
}
