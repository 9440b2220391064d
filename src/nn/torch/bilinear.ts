// PyTorch 1.13 `nn.Bilinear` and `F.bilinear`: y_o = x1ᵀ·W_o·x2 + b_o for each output o, composed of a matmul
// (x1 against every W_o at once), a product with x2 and a sum over in2.
import type { DType } from '../../core/dtype.js';
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';
import { add, mul } from '../../ops/elementwise/builders.js';
import { reshape, transpose } from '../../ops/movement/builders.js';
import { matmul } from '../../ops/network/builders.js';
import { sum } from '../../ops/reduce/builders.js';
import { Module } from './base.js';
import { functional, tensorOrNull, who } from './functional-args.js';
import { torchUniform } from './module.js';
import { moduleOptions } from './options.js';

/** x1 [*, in1], x2 [*, in2] (the same leading axes), weight [out, in1, in2], bias [out] or null → [*, out]. */
function bilinearOf(where: string, x1: Tensor, x2: Tensor, w: Tensor, b: Tensor | null): Tensor {
  if (w.rank !== 3)
    throw new ShapeError(`${where}: weight must be [out, in1, in2], got ${fmtShape(w.shape)}`);
  const [o, in1, in2] = w.shape;
  if (x1.rank === 0 || x1.rank !== x2.rank)
    throw new ShapeError(
      `${where}: input dimensions do not match: got ${x1.rank} and ${x2.rank} (input1 ${fmtShape(x1.shape)}, input2 ${fmtShape(x2.shape)})`,
    );
  const lead = x1.shape.slice(0, -1);
  lead.forEach((d, i) => {
    if (x2.shape[i] !== d)
      throw new ShapeError(
        `${where}: input batch dimensions do not match at dim ${i}: got ${d} and ${x2.shape[i]}`,
      );
  });
  if (x1.shape[x1.rank - 1] !== in1)
    throw new ShapeError(
      `${where}: input1 size does not match weight size: got ${x1.shape[x1.rank - 1]} but expected ${in1}`,
    );
  if (x2.shape[x2.rank - 1] !== in2)
    throw new ShapeError(
      `${where}: input2 size does not match weight size: got ${x2.shape[x2.rank - 1]} but expected ${in2}`,
    );
  if (b && (b.rank !== 1 || b.shape[0] !== o))
    throw new ShapeError(`${where}: bias must be [${o}] (one per output), got ${fmtShape(b.shape)}`);
  const n = lead.reduce((p, d) => p * d, 1);
  // x1·[W_0 | W_1 | ...]: [n, in1] × [in1, o·in2], then each W_o·x1 dotted with x2
  const wx = matmul(reshape(x1, [n, in1]), reshape(transpose(w, [1, 0, 2]), [in1, o * in2]));
  const y = sum(mul(reshape(wx, [n, o, in2]), reshape(x2, [n, 1, in2])), [2]);
  return reshape(b ? add(y, b) : y, [...lead, o]);
}

/**
 * PyTorch `nn.Bilinear(in1_features, in2_features, out_features, bias=True)`: y = x1ᵀ·W·x2 + b with weight
 * [out, in1, in2] and bias [out], both ~ U(-1/√in1, 1/√in1) as PyTorch's reset_parameters.
 */
export class Bilinear extends Module {
  static override className = 'Bilinear';
  weight: Tensor;
  bias: Tensor | null;
  constructor(
    readonly in1Features: number,
    readonly in2Features: number,
    readonly outFeatures: number,
    opts: { bias?: boolean; name?: string; dtype?: DType } = {},
  ) {
    super(opts?.name);
    this.dtype = moduleOptions('Bilinear', opts, ['bias', 'name', 'dtype']);
    for (const [k, v] of [
      ['in1_features', in1Features],
      ['in2_features', in2Features],
      ['out_features', outFeatures],
    ] as const)
      if (!Number.isInteger(v) || v < 1)
        throw new ValueError(`Bilinear: ${k} must be a positive integer, got ${JSON.stringify(v)}`);
    if (opts.bias !== undefined && typeof opts.bias !== 'boolean')
      throw new ValueError(`Bilinear: bias must be true or false, got ${JSON.stringify(opts.bias)}`);
    const init = torchUniform(in1Features);
    this.weight = this.addWeight('weight', [outFeatures, in1Features, in2Features], init);
    this.bias = opts.bias === false ? null : this.addWeight('bias', [outFeatures], init);
  }
  forward(input1: Tensor, input2: Tensor): Tensor {
    if (!(input1 instanceof Tensor) || !(input2 instanceof Tensor))
      throw new ValueError(`${this.name} (Bilinear): forward(input1, input2) takes two Tensors`);
    return bilinearOf(`${this.name} (Bilinear)`, input1, input2, this.weight, this.bias);
  }
}

/** PyTorch `F.bilinear(input1, input2, weight, bias=None)`: nn.Bilinear's op. */
export const bilinear = functional(
  'bilinear',
  ['input1', 'input2', 'weight', 'bias'],
  (input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor => {
    const name = who('bilinear');
    const x2 = tensorOrNull('bilinear', 'input2', input2);
    const w = tensorOrNull('bilinear', 'weight', weight);
    if (!x2 || !w) throw new ValueError(`${name}: input2 and weight are required Tensors`);
    return bilinearOf(name, input1, x2, w, tensorOrNull('bilinear', 'bias', bias));
  },
);
