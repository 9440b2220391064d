// trace(): rows against the ops an independent onOp listener sees, FLOPs/bytes by hand, DOT and SVG structure.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

function listen(f: () => unknown): tg.OpEvent[] {
  const seen: tg.OpEvent[] = [];
  const off = tg.onOp((e) => seen.push(e));
  try {
    f();
  } finally {
    off();
  }
  return seen;
}

function smallCnn() {
  const m = new tg.Sequential({
    layers: [
      new tg.Conv2D({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 2] }),
      new tg.MaxPooling2D({ poolSize: 2 }),
      new tg.Flatten(),
      new tg.Dense({ units: 5 }),
    ],
  });
  m.buildModel([null, 8, 8, 2]);
  return m;
}

describe('trace', () => {
  it('rows are exactly the ops the function runs, with their shapes, dtypes and scopes', () => {
    const m = smallCnn();
    const x = tg.randn([3, 8, 8, 2]);
    const t = tg.trace((a) => m.apply(a) as tg.Tensor, x);
    const seen = listen(() => m.apply(x));
    expect(t.rows.map((r) => r.op)).toEqual(seen.map((e) => e.op));
    t.rows.forEach((r, i) => {
      expect(r.outputShape).toEqual([...seen[i].out.shape]);
      expect(r.inputShapes).toEqual(seen[i].inputs.map((s) => [...s.shape]));
      expect(r.dtype).toBe(seen[i].out.dtype);
    });
    expect(
      t.rows.filter((r) => r.scope.endsWith('conv2d') || r.scope.includes('/conv2d')).length,
    ).toBeGreaterThan(0);
    const layerNames = m.layers.map((l) => l.name);
    for (const r of t.rows) expect(layerNames.some((n) => r.scope === `${m.name}/${n}`)).toBe(true);
    expect(t.result).toBeInstanceOf(tg.Tensor);
    expect((t.result as tg.Tensor).shape).toEqual([3, 5]);
  });

  it('input sources link rows: the traced argument, earlier rows, named weights', () => {
    const W = tg.randn([4, 3]);
    W.name = 'W';
    const x = tg.randn([2, 4]);
    const t = tg.trace((a) => tg.relu(tg.matmul(a, W)), x);
    expect(t.rows.map((r) => r.op)).toEqual(['matmul', 'relu']);
    expect(t.rows[0].inputSources).toEqual([
      { kind: 'arg', index: 0 },
      { kind: 'leaf', name: 'W' },
    ]);
    expect(t.rows[1].inputSources).toEqual([{ kind: 'op', row: 0 }]);
  });

  it('FLOPs and bytes by hand: matmul 2·m·n·k, elementwise one per value, reshape a free view', () => {
    const a = tg.randn([5, 7]);
    const b = tg.randn([7, 3]);
    const t = tg.trace((p, q) => tg.reshape(tg.exp(tg.matmul(p, q)), [15]), a, b);
    const [mm, ex, rs] = t.rows;
    expect(mm.flops).toBe(2 * 5 * 3 * 7);
    expect(mm.bytes).toBe((35 + 21 + 15) * 4);
    expect(ex.flops).toBe(15);
    expect(ex.bytes).toBe(30 * 4);
    expect(rs.op).toBe('reshape');
    expect(rs.bytes).toBe(0);
    expect(t.totalFlops).toBe(2 * 5 * 3 * 7 + 15);
    const b64 = tg.trace((p) => tg.exp(p), tg.randn([4], { dtype: 'float64' }));
    expect(b64.rows[0].bytes).toBe(8 * 8);
  });

  it('toString: a header, one line per op, totals', () => {
    const m = smallCnn();
    const t = tg.trace((a) => m.apply(a) as tg.Tensor, tg.zeros([1, 8, 8, 2]));
    const lines = t.toString().split('\n');
    expect(lines[0]).toMatch(/^#\s+op\s+inputs\s+output\s+dtype\s+FLOPs\s+bytes\s+scope/);
    const body = lines.slice(2, 2 + t.rows.length);
    body.forEach((l, i) => {
      expect(l.startsWith(`%${i} `)).toBe(true);
      expect(l).toContain(` ${t.rows[i].op} `);
      expect(l).toContain(`[${t.rows[i].outputShape.join(',')}]`);
    });
    expect(lines[lines.length - 1]).toBe(
      `${t.rows.length} ops, ${t.totalFlops >= 1000 ? (t.totalFlops / 1000).toPrecision(3).replace(/\.?0+$/, '') + 'k' : t.totalFlops} FLOPs, ${lines[lines.length - 1].split(', ')[2]}`,
    );
    expect(t.toString()).toContain('arg0[1,8,8,2]');
  });

  it('toDot: one node per op and leaf, one edge per op input', () => {
    const x = tg.randn([2, 3]);
    const t = tg.trace((a) => tg.add(tg.mul(a, a), tg.sigmoid(a)), x);
    const dot = t.toDot();
    expect(dot.startsWith('digraph "trace" {')).toBe(true);
    expect(dot.trim().endsWith('}')).toBe(true);
    const edges = dot.split('\n').filter((l) => l.includes('->'));
    expect(edges.length).toBe(t.rows.reduce((a, r) => a + r.inputShapes.length, 0));
    for (const r of t.rows) expect(dot).toContain(`op${r.index} [label="%${r.index} ${r.op}`);
    expect(dot).toContain('leaf0 [label="arg0');
  });

  it('toSvg: a standalone, well-formed SVG with a box per node and a path per edge', () => {
    const m = smallCnn();
    const t = tg.trace((a) => m.apply(a) as tg.Tensor, tg.zeros([1, 8, 8, 2]));
    const svg = t.toSvg();
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const { nodes, edges } = t.graph();
    expect((svg.match(/<rect x=/g) ?? []).length).toBe(nodes.length);
    expect((svg.match(/<path d="M[\d.]+,[\d.]+ C/g) ?? []).length).toBe(edges.length);
    // tags balance: every <g> closes, every <text> closes
    expect((svg.match(/<g>/g) ?? []).length).toBe((svg.match(/<\/g>/g) ?? []).length);
    expect((svg.match(/<text /g) ?? []).length).toBe((svg.match(/<\/text>/g) ?? []).length);
    expect(svg).not.toMatch(/NaN|undefined/);
    // every box lies inside the canvas, and no two boxes overlap
    const [, W, H] = svg.match(/width="(\d+)" height="(\d+)"/)!.map(Number);
    const boxes = [
      ...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/g),
    ].map((m) => m.slice(1).map(Number));
    for (const [x, y, w, h] of boxes) expect(x >= 0 && y >= 0 && x + w <= W && y + h <= H).toBe(true);
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i], boxes[j]];
        const overlap = a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
        expect(overlap).toBe(false);
      }
  });

  it('records ops under noGrad too, and escapes XML in labels', () => {
    const x = tg.randn([2]);
    x.name = 'a<b>&"c"';
    const t = tg.noGrad(() => tg.trace((a) => tg.neg(a), x));
    expect(t.rows.length).toBe(1);
    const s = tg.trace((a) => tg.neg(tg.mul(a, x)), tg.randn([2])).toSvg();
    expect(s).toContain('a&lt;b&gt;&amp;&quot;c&quot;');
  });
});
