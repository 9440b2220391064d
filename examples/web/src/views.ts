// The page's views of the worker's numbers: the grid of test digits with predicted labels, the confusion matrix with
// per-class accuracy, per-layer statistics with histograms, and the dense layers' kernels and outputs.
import type { ImageStack, LayerStats, Summary } from './protocol.js';
import { drawStack } from './render.js';

/** counts[t][p] = number of test digits of true class t predicted as p. */
export function confusion(labels: ArrayLike<number>, preds: ArrayLike<number>, classes = 10): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < preds.length; i++) m[labels[i]][preds[i]]++;
  return m;
}

/** One cell per test digit in `grid`: the image and the predicted label, red when it is not the true label. */
export function drawGrid(
  el: HTMLElement,
  grid: ImageStack,
  labels: number[],
  preds: ArrayLike<number> | null,
): void {
  if (el.childElementCount !== grid.count || el.querySelector('.loading')) {
    el.replaceChildren(
      ...Array.from({ length: grid.count }, (_, i) => {
        const cell = document.createElement('div');
        cell.className = 'cell';
        cell.dataset.i = String(i);
        const c = document.createElement('canvas');
        drawStack(c, { h: 28, w: 28, count: 1, data: grid.data.subarray(i * 784, (i + 1) * 784) }, 1, 1);
        const lbl = document.createElement('span');
        cell.append(c, lbl);
        return cell;
      }),
    );
  }
  el.querySelectorAll<HTMLElement>('.cell').forEach((cell, i) => {
    const lbl = cell.querySelector('span')!;
    const p = preds ? preds[i] : null;
    lbl.textContent = p === null ? '·' : String(p);
    cell.classList.toggle('wrong', p !== null && p !== labels[i]);
    cell.title = p === null ? `true ${labels[i]}` : `true ${labels[i]}, predicted ${p}`;
  });
}

/** The confusion matrix as a table, shaded by row share, with each class's accuracy (recall) in the last column. */
export function drawConfusion(table: HTMLTableElement, m: number[][]): void {
  const head = `<tr><th></th>${m.map((_, c) => `<th>${c}</th>`).join('')}<th>accuracy</th></tr>`;
  const rows = m.map((row, t) => {
    const n = row.reduce((a, b) => a + b, 0);
    const cells = row
      .map((v, p) => {
        const share = n ? v / n : 0;
        const bg = p === t ? `rgba(31,138,76,${share})` : `rgba(179,38,30,${Math.min(1, 3 * share)})`;
        return `<td data-r="${t}" data-c="${p}" style="background:${v ? bg : 'transparent'}">${v || ''}</td>`;
      })
      .join('');
    const acc = n ? `${((100 * row[t]) / n).toFixed(1)}%` : '–';
    return `<tr><th>${t}</th>${cells}<td class="class-acc" data-r="${t}">${acc}</td></tr>`;
  });
  table.innerHTML = head + rows.join('');
}

/** A small histogram: one bar per bin, heights relative to the fullest bin. */
function histogram(s: Summary, color: string): HTMLCanvasElement {
  const c = document.createElement('canvas');
  [c.width, c.height] = [112, 30];
  const ctx = c.getContext('2d')!;
  const top = Math.max(...s.counts, 1);
  const w = c.width / s.counts.length;
  ctx.fillStyle = color;
  s.counts.forEach((k, i) => {
    const h = Math.round(((c.height - 2) * k) / top);
    if (k) ctx.fillRect(i * w, c.height - Math.max(1, h), w - 1, Math.max(1, h));
  });
  c.dataset.counts = s.counts.join(',');
  c.title = `${s.n} values in [${s.lo.toPrecision(3)}, ${s.hi.toPrecision(3)}], ${s.counts.length} bins: ${s.counts.join(' ')}`;
  return c;
}

const KINDS = [
  ['weights', '#3b82f6'],
  ['activations', '#1f8a4c'],
  ['gradients', '#d9480f'],
] as const;

/** Per-layer table: for weights (the kernel), activations (output on the batch) and the kernel's gradient. */
export function drawLayerStats(el: HTMLElement, layers: LayerStats[]): void {
  const table = document.createElement('table');
  table.className = 'stats-table';
  table.innerHTML = `<tr><th>layer</th>${KINDS.map(([k]) => `<th>${k}: mean · std · histogram</th>`).join('')}</tr>`;
  for (const l of layers) {
    const tr = document.createElement('tr');
    tr.dataset.layer = l.name;
    tr.innerHTML = `<th>${l.name}</th>`;
    for (const [kind, color] of KINDS) {
      const td = document.createElement('td');
      td.dataset.kind = kind;
      const s = l[kind];
      if (!s) td.innerHTML = '<span class="dim">none</span>';
      else {
        const txt = document.createElement('span');
        txt.className = 'num';
        txt.innerHTML = `<span class="mean">${s.mean.toPrecision(4)}</span> · <span class="std">${s.std.toPrecision(4)}</span>`;
        td.append(txt, histogram(s, color));
      }
      tr.append(td);
    }
    table.append(tr);
  }
  el.replaceChildren(table);
}

/** Dense kernels [in, out] drawn with one row per output unit, and each dense layer's outputs on the sample digit. */
export function drawDense(
  el: HTMLElement,
  dense: { name: string; kernel: ImageStack; output: number[] }[],
): void {
  el.replaceChildren(
    ...dense.map((d) => {
      const [nin, nout] = [d.kernel.h, d.kernel.w];
      const t = new Float32Array(nin * nout);
      for (let i = 0; i < nin; i++)
        for (let o = 0; o < nout; o++) t[o * nin + i] = d.kernel.data[i * nout + o];
      const box = document.createElement('div');
      box.dataset.layer = d.name;
      box.innerHTML = `<h3>${d.name}: kernel ${nin}×${nout} (a row per unit) and its ${nout} outputs</h3>`;
      const k = document.createElement('canvas');
      k.className = 'kernel';
      drawStack(k, { h: nout, w: nin, count: 1, data: t }, nin > 200 ? 1 : 4, 1, true);
      const out = document.createElement('div');
      out.className = 'dense-out';
      const top = Math.max(...d.output.map(Math.abs), 1e-8);
      out.innerHTML = d.output
        .map(
          (v, i) =>
            `<div class="${v < 0 ? 'neg' : ''}" style="height:${Math.round((30 * Math.abs(v)) / top)}px" title="unit ${i}: ${v.toPrecision(4)}"></div>`,
        )
        .join('');
      box.append(k, out);
      return box;
    }),
  );
}
