// tf.multinomial: draws from categorical distributions by the Gumbel-max trick (argmax of logits + Gumbel noise is
// a sample with probabilities softmax(logits)), vectorised as tensor ops; int32 indices, no gradient.
import { ShapeError, ValueError, safeJson, fmtShape } from '../../core/errors.js';
import { Rng, rand } from '../../core/random.js';
import { type Tensor, assertTensor } from '../../core/tensor.js';
import { noGradFrame } from '../../core/lifetime.js';
import { add, cast, log, neg } from '../elementwise/builders.js';
import { reshape } from '../movement/builders.js';
import { argmax } from '../reduce/builders.js';

/**
 * tf.multinomial(logits, numSamples, seed?, normalized = false): numSamples category indices per row of logits
 * ([k] → [numSamples], [batch, k] → [batch, numSamples]); normalized means logits already hold probabilities.
 * NOTE: a seed makes the draws reproducible in tapegrad's own generator; they differ from TF.js's.
 */
export function multinomial(logits: Tensor, numSamples: number, seed?: number, normalized = false): Tensor {
  assertTensor(logits, 'multinomial', 'logits');
  if (logits.rank !== 1 && logits.rank !== 2)
    throw new ShapeError(`multinomial: logits must be rank 1 or 2, got ${fmtShape(logits.shape)}`);
  const k = logits.shape[logits.rank - 1];
  if (k < 2) throw new ShapeError(`multinomial: needs at least 2 outcomes, got ${fmtShape(logits.shape)}`);
  if (!Number.isInteger(numSamples) || numSamples < 1)
    throw new ValueError(`multinomial: numSamples must be a positive integer, got ${safeJson(numSamples)}`);
  if (seed !== undefined && seed !== null && (typeof seed !== 'number' || !Number.isFinite(seed)))
    throw new ValueError(`multinomial: seed must be a number, got ${safeJson(seed)}`);
  if (typeof normalized !== 'boolean')
    throw new ValueError(`multinomial: normalized must be a boolean, got ${safeJson(normalized)}`);
  const rng = seed === undefined || seed === null ? undefined : new Rng(seed);
  return noGradFrame(() => {
    const b = logits.rank === 2 ? logits.shape[0] : 1;
    const l0 = cast(logits.detach(), 'float64');
    const l = reshape(normalized ? log(l0) : l0, [b, 1, k]);
    // Gumbel(0, 1) noise: −log(−log u), u uniform in [0, 1)
    const u = rand([b, numSamples, k], { dtype: 'float64', rng });
    const idx = cast(argmax(add(l, neg(log(neg(log(u))))), -1), 'int32');
    return logits.rank === 1 ? reshape(idx, [numSamples]) : idx;
  });
}
