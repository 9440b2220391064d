// ONNX Einsum: tg.einsum's composition (src/ops/composite/einsum.ts) with the node named in its errors.
import { ShapeError } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { einsumAt } from '../../ops/composite/einsum.js';
import { type OpContext, type OpDef, unsupported, where as at } from './op-types.js';

function einsum(ins: (Tensor | null)[], c: OpContext): Tensor {
  const xs = ins.map((t, i) => {
    if (!t) throw new ShapeError(`${at(c.node)}: input ${i} is missing`);
    return t;
  });
  if (!xs.length) throw new ShapeError(`${at(c.node)}: Einsum needs at least one input`);
  if (!c.attrs.has('equation')) throw new ShapeError(`${at(c.node)}: attribute 'equation' is required`);
  const eq = c.attrs.str('equation', '');
  // NOTE: refused here by name as an unsupported option (OnnxUnsupportedError), before the op would reject it
  for (const term of eq.replace(/\s+/g, '').split(/,|->/))
    if (term.split('...').length > 2)
      unsupported(c.node, `equation term '${term}' with two ellipses`, 'one ellipsis a term');
  return einsumAt(at(c.node), eq, xs);
}

export const einsumOps: Record<string, OpDef> = {
  Einsum: { attrs: ['equation'], since: 12, run: (ins, c) => [einsum(ins, c)] },
};
