// ONNX recurrent operators (RNN, GRU, LSTM; forward, reverse and bidirectional) as loops of tapegrad cell updates,
// so backpropagation through time comes from the tape. ONNX gate orders: LSTM i,o,f,c; GRU z,r,h.
import { ShapeError, fmtShape } from '../../core/errors.js';
import { Tensor, zeros } from '../../core/tensor.js';
import { add, mul, relu, sigmoid, tanh } from '../../ops/elementwise/builders.js';
import { gruUpdate, lstmUpdate } from '../../ops/composite/rnn.js';
import { matmul } from '../../ops/network/builders.js';
import { reshape, slice, split, stack, transpose } from '../../ops/movement/builders.js';
import { type OpContext, type OpDef, need, unsupported, where } from './op-types.js';

type Act = (x: Tensor) => Tensor;
const ACTS: Record<string, Act> = { Sigmoid: sigmoid, Tanh: tanh, Relu: relu };
const RNN_ATTRS = [
  'activation_alpha',
  'activation_beta',
  'activations',
  'clip',
  'direction',
  'hidden_size',
  'layout',
  'input_forget',
  'linear_before_reset',
];

/** Row d of a [numDirections, ...] tensor. */
const dir = (t: Tensor, d: number): Tensor =>
  reshape(slice(t, [d, ...t.shape.slice(1).map(() => 0)], [1, ...t.shape.slice(1)]), t.shape.slice(1));

interface Common {
  x: Tensor; // [seq, batch, input]
  seq: number;
  batch: number;
  hidden: number;
  dirs: number;
  reverse: boolean[];
  acts: Act[];
  layout: number;
}

function common(ins: (Tensor | null)[], c: OpContext, gates: number, defaultActs: string[]): Common {
  let x = need(ins, 0, c.node, 'X');
  const w = need(ins, 1, c.node, 'W');
  if (x.rank !== 3) throw new ShapeError(`${where(c.node)}: X must be rank 3, got ${fmtShape(x.shape)}`);
  const layout = c.attrs.int('layout', 0);
  if (layout !== 0 && layout !== 1) unsupported(c.node, `layout=${layout}`, '0, 1');
  if (layout === 1) x = transpose(x, [1, 0, 2]);
  const direction = c.attrs.str('direction', 'forward');
  if (!['forward', 'reverse', 'bidirectional'].includes(direction))
    unsupported(c.node, `direction='${direction}'`, "'forward', 'reverse', 'bidirectional'");
  const dirs = direction === 'bidirectional' ? 2 : 1;
  const hidden = c.attrs.int('hidden_size', w.shape[1] / gates);
  if (w.rank !== 3 || w.shape[0] !== dirs || w.shape[1] !== gates * hidden || w.shape[2] !== x.shape[2])
    throw new ShapeError(
      `${where(c.node)}: W must be [${dirs}, ${gates * hidden}, ${x.shape[2]}], got ${fmtShape(w.shape)}`,
    );
  if (c.attrs.has('clip')) unsupported(c.node, 'clip', 'no cell clipping');
  if (c.attrs.floats('activation_alpha')?.length || c.attrs.floats('activation_beta')?.length)
    unsupported(
      c.node,
      'activation_alpha/activation_beta',
      'activations without parameters (Sigmoid, Tanh, Relu)',
    );
  const names = c.attrs.strs('activations') ?? [...defaultActs, ...(dirs === 2 ? defaultActs : [])];
  const acts = names.map(
    (n) => ACTS[n] ?? unsupported(c.node, `activation '${n}'`, Object.keys(ACTS).join(', ')),
  );
  if (acts.length !== defaultActs.length * dirs)
    throw new ShapeError(
      `${where(c.node)}: activations lists ${acts.length} functions, expected ${defaultActs.length * dirs}`,
    );
  const lens = ins[4];
  if (lens && Array.from(lens.raw).some((v) => v !== x.shape[0]))
    unsupported(
      c.node,
      'sequence_lens shorter than the sequence',
      'every sequence_lens equal to the sequence length',
    );
  const reverse = direction === 'bidirectional' ? [false, true] : [direction === 'reverse'];
  return { x, seq: x.shape[0], batch: x.shape[1], hidden, dirs, reverse, acts, layout };
}

/** Initial state [dirs, batch, hidden] (layout 1: [batch, dirs, hidden]) for direction d, or zeros. */
function initial(t: Tensor | null, d: number, cm: Common): Tensor {
  if (!t) return zeros([cm.batch, cm.hidden], { dtype: cm.x.dtype });
  return dir(cm.layout === 1 ? transpose(t, [1, 0, 2]) : t, d);
}

/** x·Wᵀ (+ input bias) for every time step at once: [seq, batch, gates·hidden]. */
function project(cm: Common, w: Tensor, bias: Tensor | null): Tensor {
  const [s, b, i] = cm.x.shape;
  let p = matmul(reshape(cm.x, [s * b, i]), w, { transB: true });
  if (bias) p = add(p, bias);
  return reshape(p, [s, b, w.shape[0]]);
}
const step = (p: Tensor, t: number): Tensor =>
  reshape(slice(p, [t, 0, 0], [1, p.shape[1], p.shape[2]]), p.shape.slice(1));

/** Run `cell` over time in each direction; outputs Y [seq, dirs, batch, H], Y_h (and Y_c) [dirs, batch, H]. */
function runDirections(
  cm: Common,
  c: OpContext,
  cell: (d: number) => (t: number, state: Tensor[]) => Tensor[],
  init: (d: number) => Tensor[],
): Tensor[] {
  const ys: Tensor[][] = [];
  const finals: Tensor[][] = [];
  for (let d = 0; d < cm.dirs; d++) {
    const f = cell(d);
    let state = init(d);
    const hs: Tensor[] = Array(cm.seq);
    for (let k = 0; k < cm.seq; k++) {
      const t = cm.reverse[d] ? cm.seq - 1 - k : k;
      state = f(t, state);
      hs[t] = state[0];
    }
    ys.push(hs);
    finals.push(state);
  }
  let y = stack(
    ys.map((hs) => (hs.length ? stack(hs, 0) : zeros([0, cm.batch, cm.hidden]))),
    1,
  ); // [seq, dirs, batch, H]
  if (cm.layout === 1) y = transpose(y, [2, 0, 1, 3]);
  const out = [
    y,
    ...finals[0].map((_, j) => {
      const s = stack(
        finals.map((f) => f[j]),
        0,
      );
      return cm.layout === 1 ? transpose(s, [1, 0, 2]) : s;
    }),
  ];
  return c.node.outputs.map((_, i) => out[i]);
}

function lstm(ins: (Tensor | null)[], c: OpContext): Tensor[] {
  const cm = common(ins, c, 4, ['Sigmoid', 'Tanh', 'Tanh']);
  if (c.attrs.int('input_forget', 0) !== 0) unsupported(c.node, 'input_forget=1', 'input_forget=0');
  const H = cm.hidden;
  return runDirections(
    cm,
    c,
    (d) => {
      const [f, g, h] = cm.acts.slice(3 * d, 3 * d + 3);
      if (g !== h) unsupported(c.node, 'different cell and hidden activations (g ≠ h)', 'g = h');
      const b = ins[3] ? split(dir(ins[3], d), 2, 0) : null;
      const p = project(cm, dir(need(ins, 1, c.node, 'W'), d), b ? add(b[0], b[1]) : null);
      const r = dir(need(ins, 2, c.node, 'R'), d);
      const peep = ins[7] ? split(dir(ins[7], d), [H, H, H], 0) : null; // P = [Pi, Po, Pf]
      return (t, [hPrev, cPrev]) => {
        // z = xWᵀ + hRᵀ + Wb + Rb, blocks i, o, f, c
        const [zi, zo, zf, zc] = split(add(step(p, t), matmul(hPrev, r, { transB: true })), [H, H, H, H], 1);
        if (!peep) return lstmUpdate(zi, zf, zc, zo, cPrev, g, f);
        // peepholes: i = f(zi + Pi⊙c), f = f(zf + Pf⊙c), c' = f⊙c + i⊙g(zc), o = f(zo + Po⊙c'), h' = o⊙h(c')
        const [pi, po, pf] = peep;
        const c2 = add(mul(f(add(zf, mul(pf, cPrev))), cPrev), mul(f(add(zi, mul(pi, cPrev))), g(zc)));
        return [mul(f(add(zo, mul(po, c2))), h(c2)), c2];
      };
    },
    (d) => [initial(ins[5] ?? null, d, cm), initial(ins[6] ?? null, d, cm)],
  );
}

function gru(ins: (Tensor | null)[], c: OpContext): Tensor[] {
  const cm = common(ins, c, 3, ['Sigmoid', 'Tanh']);
  const H = cm.hidden;
  const lbr = c.attrs.int('linear_before_reset', 0) === 1;
  return runDirections(
    cm,
    c,
    (d) => {
      const [f, g] = cm.acts.slice(2 * d, 2 * d + 2);
      const b = ins[3] ? dir(ins[3], d) : null;
      const [wb, rb] = b ? split(b, 2, 0) : [null, null];
      const [rbzr, rbh] = rb ? split(rb, [2 * H, H], 0) : [null, null];
      const p = project(cm, dir(need(ins, 1, c.node, 'W'), d), wb);
      const [rzr, rh] = split(dir(need(ins, 2, c.node, 'R'), d), [2 * H, H], 0);
      return (t, [h]) => {
        const [xz, xr, xh] = split(step(p, t), [H, H, H], 1);
        let hzr = matmul(h, rzr, { transB: true });
        if (rbzr) hzr = add(hzr, rbzr);
        const [hz, hr] = split(hzr, [H, H], 1);
        // linear_before_reset: r⊙(hRₕᵀ + Rbₕ); otherwise (r⊙h)Rₕᵀ + Rbₕ
        const recH = (r: Tensor): Tensor => {
          const lin = (v: Tensor) =>
            rbh ? add(matmul(v, rh, { transB: true }), rbh) : matmul(v, rh, { transB: true });
          return lbr ? mul(r, lin(h)) : lin(mul(r, h));
        };
        return [gruUpdate(xz, xr, xh, hz, hr, recH, h, g, f)];
      };
    },
    (d) => [initial(ins[5] ?? null, d, cm)],
  );
}

function rnn(ins: (Tensor | null)[], c: OpContext): Tensor[] {
  const cm = common(ins, c, 1, ['Tanh']);
  return runDirections(
    cm,
    c,
    (d) => {
      const act = cm.acts[d];
      const b = ins[3] ? split(dir(ins[3], d), 2, 0) : null;
      const p = project(cm, dir(need(ins, 1, c.node, 'W'), d), b ? add(b[0], b[1]) : null);
      const r = dir(need(ins, 2, c.node, 'R'), d);
      // h' = f(xWᵀ + hRᵀ + Wb + Rb)
      return (t, [h]) => [act(add(step(p, t), matmul(h, r, { transB: true })))];
    },
    (d) => [initial(ins[5] ?? null, d, cm)],
  );
}

export const rnnOps: Record<string, OpDef> = {
  LSTM: { attrs: RNN_ATTRS.filter((a) => a !== 'linear_before_reset'), valueInputs: [4], run: lstm },
  GRU: { attrs: RNN_ATTRS.filter((a) => a !== 'input_forget'), valueInputs: [4], run: gru },
  RNN: {
    attrs: RNN_ATTRS.filter((a) => a !== 'input_forget' && a !== 'linear_before_reset'),
    valueInputs: [4],
    run: rnn,
  },
};
