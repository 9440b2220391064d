// A small layered-graph drawer (Sugiyama-style: longest-path layers, barycenter ordering) that writes a
// standalone SVG, so op graphs can be looked at without Graphviz.

export interface GraphNodeSpec {
  id: string;
  /** Text lines drawn in the box (first line bold). */
  lines: string[];
  /** 'op' boxes are filled; 'leaf' boxes (inputs, weights, constants) are rounded and pale. */
  kind: 'op' | 'leaf';
}
export interface GraphEdgeSpec {
  from: string;
  to: string;
}

export const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const CHAR_W = 7.2; // monospace 12px advance
const LINE_H = 16;
const PAD = 8;
const GAP_X = 24;
const GAP_Y = 48;

/** Layer index per node: ops one below their lowest-placed input, leaves just above their first consumer. */
function assignLayers(nodes: GraphNodeSpec[], edges: GraphEdgeSpec[]): Map<string, number> {
  const preds = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  const succs = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  for (const e of edges) {
    preds.get(e.to)?.push(e.from);
    succs.get(e.from)?.push(e.to);
  }
  const kind = new Map(nodes.map((n) => [n.id, n.kind]));
  const layer = new Map<string, number>();
  // NOTE: nodes arrive in execution order, so every op's producers are placed before it.
  for (const n of nodes) {
    if (n.kind !== 'op') continue;
    let l = 1;
    for (const p of preds.get(n.id)!) if (kind.get(p) === 'op') l = Math.max(l, layer.get(p)! + 1);
    layer.set(n.id, l);
  }
  // Ops fed only by leaves (a bias broadcast) sit just above their first consumer, not at the top.
  for (const n of [...nodes].reverse()) {
    if (n.kind !== 'op' || preds.get(n.id)!.some((p) => kind.get(p) === 'op')) continue;
    const cons = succs
      .get(n.id)!
      .map((s) => layer.get(s)!)
      .filter((v) => v !== undefined);
    if (cons.length) layer.set(n.id, Math.max(layer.get(n.id)!, Math.min(...cons) - 1));
  }
  for (const n of nodes) {
    if (n.kind === 'op') continue;
    const cons = succs.get(n.id)!.map((s) => layer.get(s) ?? 1);
    layer.set(n.id, (cons.length ? Math.min(...cons) : 1) - 1);
  }
  return layer;
}

/** Draw the graph top to bottom; returns a complete SVG document. */
export function layeredSvg(nodes: GraphNodeSpec[], edges: GraphEdgeSpec[], title = ''): string {
  const layer = assignLayers(nodes, edges);
  const nLayers = Math.max(0, ...layer.values()) + 1;
  const rows: GraphNodeSpec[][] = Array.from({ length: nLayers }, () => []);
  for (const n of nodes) rows[layer.get(n.id)!].push(n);
  const preds = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  const succs = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  for (const e of edges) {
    preds.get(e.to)?.push(e.from);
    succs.get(e.from)?.push(e.to);
  }
  // Barycenter sweeps: order each layer by the mean position of its neighbours in the previous one.
  const pos = new Map<string, number>();
  const index = () => rows.forEach((r) => r.forEach((n, i) => pos.set(n.id, i)));
  index();
  const bary = (id: string, nb: Map<string, string[]>) => {
    const ps = nb
      .get(id)!
      .map((p) => pos.get(p)!)
      .filter((v) => v !== undefined);
    return ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : pos.get(id)!;
  };
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? rows.keys() : [...rows.keys()].reverse();
    for (const l of order) {
      const keyed = rows[l].map((n) => [bary(n.id, down ? preds : succs), pos.get(n.id)!, n] as const);
      keyed.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      rows[l] = keyed.map((k) => k[2]);
      rows[l].forEach((n, i) => pos.set(n.id, i));
    }
  }
  // Geometry: box sizes from text, rows stacked, each row centred.
  const size = new Map(
    nodes.map((n) => [
      n.id,
      {
        w: Math.max(...n.lines.map((s) => s.length), 4) * CHAR_W + 2 * PAD,
        h: n.lines.length * LINE_H + PAD,
      },
    ]),
  );
  const rowW = rows.map(
    (r) => r.reduce((a, n) => a + size.get(n.id)!.w, 0) + GAP_X * Math.max(r.length - 1, 0),
  );
  const width = Math.max(200, ...rowW) + 2 * GAP_X;
  const top = title ? 40 : 16;
  const xy = new Map<string, { x: number; y: number; w: number; h: number }>();
  let y = top;
  rows.forEach((r, l) => {
    let x = (width - rowW[l]) / 2;
    const h = Math.max(0, ...r.map((n) => size.get(n.id)!.h));
    for (const n of r) {
      const s = size.get(n.id)!;
      xy.set(n.id, { x, y, w: s.w, h: s.h });
      x += s.w + GAP_X;
    }
    y += h + GAP_Y;
  });
  const height = y - GAP_Y + 16;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(width)}" height="${Math.ceil(height)}" viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}" font-family="monospace" font-size="12">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  if (title)
    out.push(
      `<text x="${width / 2}" y="24" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    );
  for (const e of edges) {
    const a = xy.get(e.from);
    const b = xy.get(e.to);
    if (!a || !b) continue;
    const [x1, y1, x2, y2] = [a.x + a.w / 2, a.y + a.h, b.x + b.w / 2, b.y];
    const my = (y1 + y2) / 2;
    out.push(
      `<path d="M${x1.toFixed(1)},${y1.toFixed(1)} C${x1.toFixed(1)},${my.toFixed(1)} ${x2.toFixed(1)},${my.toFixed(1)} ${x2.toFixed(1)},${y2.toFixed(1)}" fill="none" stroke="#555" stroke-width="1.2" marker-end="url(#arrow)"/>`,
    );
  }
  for (const n of nodes) {
    const g = xy.get(n.id)!;
    const fill = n.kind === 'op' ? '#dbe8fb' : '#f4f4f4';
    const rx = n.kind === 'op' ? 3 : 10;
    out.push(
      `<g><rect x="${g.x.toFixed(1)}" y="${g.y.toFixed(1)}" width="${g.w.toFixed(1)}" height="${g.h.toFixed(1)}" rx="${rx}" fill="${fill}" stroke="#333"/>`,
    );
    n.lines.forEach((line, i) => {
      const ty = g.y + PAD / 2 + (i + 1) * LINE_H - 4;
      out.push(
        `<text x="${(g.x + g.w / 2).toFixed(1)}" y="${ty.toFixed(1)}" text-anchor="middle"${i === 0 ? ' font-weight="bold"' : ''}>${escapeXml(line)}</text>`,
      );
    });
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n');
}
