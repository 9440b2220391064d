// PyTorch's channel dropouts: `nn.Dropout1d`, `Dropout2d`, `Dropout3d` (zero whole channels of [N, C, ...] and scale
// the rest by 1/(1-p)) and `nn.FeatureAlphaDropout` (AlphaDropout's affine map with one mask value per channel), with
// PyTorch 1.13's rank rules: Dropout1d takes [N, C, L] or [C, L] and refuses other ranks; Dropout2d takes [N, C, H, W]
// and warns on other ranks (a 3D input is read as [N, C, L], as PyTorch does); Dropout3d takes [N, C, D, H, W] or
// [C, D, H, W] and warns on other ranks (read as unbatched).
import { ShapeError, fmtShape } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { mul } from '../../ops/elementwise/builders.js';
import { DropoutBase, alphaDropoutTrain, dropoutTrain } from './dropout.js';

export type ChannelDropoutKind = 'dropout1d' | 'dropout2d' | 'dropout3d' | 'feature_alpha_dropout';

/** PyTorch's deprecation warning of dropout2d/dropout3d for a rank it does not expect. */
const rankWarning = (kind: string, rank: number, spatial: number): string =>
  `${kind}: Received a ${rank}-D input to ${kind}, which is deprecated and will result in an error in a future release. ` +
  `To retain the behavior and silence this warning, please use dropout instead. Note that ${kind} exists to provide ` +
  `channel-wise dropout on inputs with ${spatial} spatial dimensions, a channel dimension, and an optional batch ` +
  `dimension (i.e. ${spatial + 1}D or ${spatial + 2}D inputs).`;
const DROPOUT2D_3D =
  'dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is desired - input ' +
  'is interpreted as shape (N, C, L), where C is the channel dim. This behavior will change in a future release to ' +
  'interpret the input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout ' +
  'behavior, please switch to using dropout1d instead.';

/**
 * PyTorch `F.dropout1d/2d/3d` and `F.feature_alpha_dropout` (p already checked to be in [0, 1]): the rank rules above,
 * then the identity when not training, p = 0 or empty; x·0 when p = 1; else one mask value per channel (axis 1 of a
 * batched input, axis 0 of an unbatched one). `warn` receives PyTorch's warnings.
 */
export function channelDropout(
  kind: ChannelDropoutKind,
  x: Tensor,
  p: number,
  training: boolean,
  warn: (message: string) => void,
): Tensor {
  let batched = true;
  if (kind === 'dropout1d') {
    if (x.rank !== 2 && x.rank !== 3)
      throw new ShapeError(
        `dropout1d: Expected 2D or 3D input, but received a ${x.rank}D input ${fmtShape(x.shape)}. Note that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).`,
      );
    batched = x.rank === 3;
  } else if (kind === 'dropout2d') {
    if (x.rank !== 3 && x.rank !== 4) warn(rankWarning(kind, x.rank, 2));
    if (x.rank === 3) warn(DROPOUT2D_3D);
  } else if (kind === 'dropout3d') {
    if (x.rank !== 4 && x.rank !== 5) warn(rankWarning(kind, x.rank, 3));
    batched = x.rank === 5;
  }
  if (!training || p === 0 || x.size === 0) return x;
  if (p === 1) return mul(x, 0);
  // the channel axis is 1 when batched, 0 otherwise (PyTorch adds a batch axis of 1 first)
  const lead = batched ? 2 : 1;
  if (x.rank < lead)
    throw new ShapeError(
      `${kind}: Feature dropout requires at least 2 dimensions in the input, got ${fmtShape(x.shape)}${batched ? '' : ' (unbatched: [1, ...shape])'}`,
    );
  const noise = x.shape.map((d, i) => (i < lead ? d : 1));
  return kind === 'feature_alpha_dropout' ? alphaDropoutTrain(x, p, noise) : dropoutTrain(x, p, noise);
}

/** The channel dropout modules: channelDropout in train mode, each warning shown once per module. */
abstract class ChannelDropout extends DropoutBase {
  protected abstract readonly kind: ChannelDropoutKind;
  private readonly warned = new Set<string>();
  forward(x: Tensor): Tensor {
    return channelDropout(this.kind, x, this.p, this.training, (m) => {
      if (this.warned.has(m)) return;
      this.warned.add(m);
      console.warn(`tapegrad: ${this.name} (${this.className}): ${m}`);
    });
  }
}

/** PyTorch `nn.Dropout1d(p)`: zero whole channels of [N, C, L] (or [C, L]) with probability p, scale by 1/(1-p). */
export class Dropout1d extends ChannelDropout {
  static override className = 'Dropout1d';
  protected readonly kind = 'dropout1d';
}
/**
 * PyTorch `nn.Dropout2d(p)`: zero whole channels of [N, C, H, W] with probability p, scale by 1/(1-p).
 * NOTE: as PyTorch 1.13, a 3D input is [N, C, L] (not an unbatched [C, H, W]), with PyTorch's warning.
 */
export class Dropout2d extends ChannelDropout {
  static override className = 'Dropout2d';
  protected readonly kind = 'dropout2d';
}
/** PyTorch `nn.Dropout3d(p)`: zero whole channels of [N, C, D, H, W] (or [C, D, H, W]), scale by 1/(1-p). */
export class Dropout3d extends ChannelDropout {
  static override className = 'Dropout3d';
  protected readonly kind = 'dropout3d';
}
/**
 * PyTorch `nn.FeatureAlphaDropout(p)`: AlphaDropout with one mask value per channel of [N, C, ...] (any rank ≥ 2),
 * dropped channels set to SELU's saturation before the affine map that keeps zero mean and unit variance.
 */
export class FeatureAlphaDropout extends ChannelDropout {
  static override className = 'FeatureAlphaDropout';
  protected readonly kind = 'feature_alpha_dropout';
}
