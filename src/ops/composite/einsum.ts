// Einsum as a composition of tapegrad ops: each operand's repeated labels become a diagonal (take), labels no one
// else needs are summed, then operands are folded pairwise into one batched matmul each, and the result is summed
// and transposed to the output labels. Gradients flow through take, sum, transpose and matmul.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { Tensor, assertTensor } from '../../core/tensor.js';
import { cast } from '../elementwise/builders.js';
import { sum } from '../reduce/builders.js';
import { matmul, take } from '../network/builders.js';
import { broadcastTo, reshape, transpose } from '../movement/builders.js';

const prod = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

interface Operand {
  t: Tensor;
  labels: string[];
}

/** One term's labels: letters, and '...' as the E ellipsis labels `.0`…`.E-1`, right-aligned to the operand. */
function termLabels(term: string, rank: number | null, ell: number, op: string): string[] {
  const parts = term.split('...');
  if (parts.length > 2)
    throw new ValueError(
      `${op}: equation term '${term}' with two ellipses is not supported (one ellipsis a term)`,
    );
  for (const ch of parts.join(''))
    if (!/[a-zA-Z]/.test(ch))
      throw new ShapeError(`${op}: equation term '${term}' has '${ch}' (expected letters and '...')`);
  const letters = parts.join('').length;
  const e = parts.length === 1 ? 0 : rank === null ? ell : rank - letters;
  if (e < 0 || (rank !== null && parts.length === 1 && letters !== rank))
    throw new ShapeError(`${op}: equation term '${term}' does not fit an input of rank ${rank}`);
  const dots = Array.from({ length: e }, (_, j) => `.${ell - e + j}`);
  return parts.length === 1 ? [...parts[0]] : [...parts[0], ...dots, ...parts[1]];
}

/** The labels of each input and of the output; no '->' means numpy's implicit output. */
function parse(eq: string, xs: Tensor[], op: string): { ins: string[][]; out: string[] } {
  const s = eq.replace(/\s+/g, '');
  const [lhs, rhs, extra] = s.split('->');
  if (extra !== undefined) throw new ShapeError(`${op}: equation '${eq}' has two '->'`);
  const terms = lhs.split(',');
  if (terms.length !== xs.length)
    throw new ShapeError(`${op}: equation '${eq}' has ${terms.length} terms for ${xs.length} inputs`);
  // the ellipsis covers as many axes as the widest operand leaves after its letters
  const ell = Math.max(
    0,
    ...terms.map((t, i) => (t.includes('...') ? xs[i].rank - t.replace('...', '').length : 0)),
  );
  const ins = terms.map((t, i) => termLabels(t, xs[i].rank, ell, op));
  if (rhs !== undefined) {
    const out = termLabels(rhs, null, ell, op);
    const all = new Set(ins.flat());
    if (new Set(out).size !== out.length || out.some((l) => !all.has(l)))
      throw new ShapeError(`${op}: output '${rhs}' of '${eq}' repeats a label or names one no input has`);
    return { ins, out };
  }
  // implicit output: the ellipsis, then the letters that appear once, alphabetically
  const count = new Map<string, number>();
  for (const l of ins.flat()) count.set(l, (count.get(l) ?? 0) + 1);
  const dots = Array.from({ length: ell }, (_, j) => `.${j}`);
  const once = [...count].filter(([l, n]) => n === 1 && !l.startsWith('.')).map(([l]) => l);
  return { ins, out: [...dots, ...once.sort()] };
}

/** The size of every label; ellipsis axes broadcast (1 against n), letters must agree. */
function labelSizes(ops: Operand[], op: string): Map<string, number> {
  const size = new Map<string, number>();
  for (const { t, labels } of ops)
    labels.forEach((l, i) => {
      const d = t.shape[i];
      const had = size.get(l);
      if (had === undefined || had === 1) size.set(l, d);
      else if (d !== had && !(d === 1 && l.startsWith('.')))
        throw new ShapeError(
          `${op}: label '${l.startsWith('.') ? '...' : l}' has size ${had} and ${d} (input ${fmtShape(t.shape)})`,
        );
    });
  return size;
}

/** Repeated labels in one operand (`ii`) as its diagonal: one take of the offsets where those axes agree. */
function diagonal(op: Operand): Operand {
  const uniq = [...new Set(op.labels)];
  if (uniq.length === op.labels.length) return op;
  const { t, labels } = op;
  const st = t.shape.map((_, i) => prod(t.shape.slice(i + 1)));
  const dims = uniq.map((l) => t.shape[labels.indexOf(l)]);
  const flat = new Int32Array(prod(dims));
  for (let f = 0; f < flat.length; f++) {
    // the coordinate of each unique label in output position f, then the offset with it on every repeated axis
    let rem = f;
    const co = new Map<string, number>();
    for (let u = uniq.length - 1; u >= 0; u--) {
      co.set(uniq[u], rem % dims[u]);
      rem = Math.floor(rem / dims[u]);
    }
    flat[f] = labels.reduce((o, l, i) => o + co.get(l)! * st[i], 0);
  }
  return { t: take(t, new Tensor(flat, dims)), labels: uniq };
}

/** Sum the labels of op that are not in keep. */
function sumOut(op: Operand, keep: Set<string>): Operand {
  const axes = op.labels.flatMap((l, i) => (keep.has(l) ? [] : [i]));
  if (!axes.length) return op;
  return { t: sum(op.t, axes), labels: op.labels.filter((l) => keep.has(l)) };
}

/** op's axes in the order of labels, reshaped to groups (each group's sizes multiplied). */
function arrange(op: Operand, groups: string[][], size: Map<string, number>): Tensor {
  const order = groups.flat();
  const t = transpose(
    op.t,
    order.map((l) => op.labels.indexOf(l)),
  );
  return reshape(
    t,
    groups.map((g) => prod(g.map((l) => size.get(l)!))),
  );
}

/** Two operands into one: shared labels kept are the batch, shared labels not kept are contracted by matmul. */
function contract(a: Operand, b: Operand, keep: Set<string>, size: Map<string, number>): Operand {
  const inB = new Set(b.labels);
  const inA = new Set(a.labels);
  a = sumOut(a, new Set([...keep, ...b.labels]));
  b = sumOut(b, new Set([...keep, ...a.labels]));
  const batch = a.labels.filter((l) => inB.has(l) && keep.has(l));
  const con = a.labels.filter((l) => inB.has(l) && !keep.has(l));
  const aFree = a.labels.filter((l) => !inB.has(l));
  const bFree = b.labels.filter((l) => !inA.has(l));
  const y = matmul(arrange(a, [batch, aFree, con], size), arrange(b, [batch, con, bFree], size));
  const labels = [...batch, ...aFree, ...bFree];
  return {
    t: reshape(
      y,
      labels.map((l) => size.get(l)!),
    ),
    labels,
  };
}

/**
 * einsum with the error prefix `op` (tg.einsum's 'einsum', the ONNX importer's node name): xs as the equation's
 * operands, in order.
 */
export function einsumAt(op: string, eq: string, xs: Tensor[]): Tensor {
  if (!xs.length) throw new ValueError(`${op}: needs at least one input`);
  const { ins: labels, out } = parse(eq, xs, op);
  // NOTE: integer inputs are multiplied in float64 (exact below 2^53) and cast back: matmul is a float kernel
  const dt = xs[0].dtype;
  const work = dt === 'int32' ? 'float64' : dt;
  let ops: Operand[] = xs.map((t, i) => diagonal({ t: cast(t, work), labels: labels[i] }));
  const size = labelSizes(ops, op);
  // ellipsis axes of size 1 against n are broadcast up front, so every operand has the label's full size
  ops = ops.map((o) => ({
    t: broadcastTo(
      o.t,
      o.labels.map((l) => size.get(l)!),
    ),
    labels: o.labels,
  }));
  const needed = (from: number) => new Set([...out, ...ops.slice(from).flatMap((o) => o.labels)]);
  let acc = sumOut(ops[0], needed(1));
  for (let i = 1; i < ops.length; i++) acc = contract(acc, ops[i], needed(i + 1), size);
  acc = sumOut(acc, new Set(out));
  const y = out.length
    ? transpose(
        acc.t,
        out.map((l) => acc.labels.indexOf(l)),
      )
    : reshape(acc.t, []);
  return cast(y, dt);
}

/**
 * TF.js `tf.einsum(equation, ...tensors)`: numpy's notation ('ij,jk->ik'; no '->' means the implicit output, '...'
 * an ellipsis). A superset of TF.js's (which takes at most two operands, no ellipsis and no repeated label in one).
 */
export function einsum(equation: string, ...tensors: Tensor[]): Tensor {
  if (typeof equation !== 'string')
    throw new ValueError(`einsum: equation must be a string such as 'ij,jk->ik', got ${typeof equation}`);
  tensors.forEach((t, i) => assertTensor(t, 'einsum', `tensors[${i}]`));
  return einsumAt('einsum', equation, tensors);
}
