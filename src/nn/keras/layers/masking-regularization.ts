// Keras Masking and two regularization layers that are identities at inference (AlphaDropout, ActivityRegularization).
import type { Tensor } from '../../../core/tensor.js';
import { cast, mul, notEqual } from '../../../ops/elementwise/builders.js';
import { max } from '../../../ops/reduce/builders.js';
import { dropout } from '../../../ops/random-ops.js';
import { reshape } from '../../../ops/movement/builders.js';
import { type CallKwargs, Layer, type LayerArgs } from '../../layer.js';
import { setMask } from '../mask.js';

/** Keras AlphaDropout: identity at inference; in training, plain dropout of the given rate (SELU-scaled in Keras). */
export class AlphaDropout extends Layer {
  static override className = 'AlphaDropout';
  static override options = ['rate'];
  static override required = ['rate'];
  constructor(readonly args: LayerArgs & { rate: number }) {
    super(args);
  }
  call(x: Tensor, kw: CallKwargs = {}): Tensor {
    // NOTE: the training-time alpha-dropout affine correction is not reproduced; inference (what import needs) is exact.
    return kw.training ? dropout(x, this.args.rate, { training: true }) : x;
  }
  override getConfig() {
    return { ...super.getConfig(), rate: this.args.rate };
  }
}

/** Keras ActivityRegularization: the forward pass is the identity (the penalty only adds to the training loss). */
export class ActivityRegularization extends Layer {
  static override className = 'ActivityRegularization';
  static override options = ['l1', 'l2'];
  constructor(readonly args: LayerArgs & { l1?: number; l2?: number }) {
    super(args);
  }
  call(x: Tensor): Tensor {
    return x;
  }
  override getConfig() {
    return { ...super.getConfig(), l1: this.args.l1 ?? 0, l2: this.args.l2 ?? 0 };
  }
}

/**
 * Keras Masking: zeroes every time step whose features all equal `maskValue`:
 * y = x · any(x ≠ maskValue, last axis). Recurrent layers after it skip those steps (see ../mask.ts).
 */
export class Masking extends Layer {
  static override className = 'Masking';
  /** Makes its own output mask, replacing an input one (Keras compute_mask). */
  static handlesMasks = true;
  static override options = ['maskValue'];
  readonly maskValue: number;
  constructor(args: LayerArgs & { maskValue?: number } = {}) {
    super(args);
    this.maskValue = args.maskValue ?? 0;
  }
  /** 1 for kept steps, 0 for masked ones: any(x ≠ maskValue) over the last axis, shape [batch, ...steps]. */
  computeMask(x: Tensor): Tensor {
    return max(cast(notEqual(x, this.maskValue), x.dtype === 'float64' ? 'float64' : 'float32'), [
      x.rank - 1,
    ]);
  }
  call(x: Tensor): Tensor {
    const keep = max(
      cast(notEqual(x, this.maskValue), x.dtype === 'float64' ? 'float64' : 'float32'),
      [x.rank - 1],
      true,
    );
    const y = mul(x, keep);
    // the output carries the mask: recurrent layers after it skip the masked steps (mask.ts)
    setMask(y, reshape(keep, x.shape.slice(0, -1)), `${this.name} (Masking)`);
    return y;
  }
  override getConfig() {
    return { ...super.getConfig(), mask_value: this.maskValue };
  }
}

// TF.js-style factories (TF.js has masking and alphaDropout; activityRegularization follows the same spelling).
export const maskingRegularizationFactories = {
  masking: (a: LayerArgs & { maskValue?: number } = {}) => new Masking(a),
  alphaDropout: (a: LayerArgs & { rate: number }) => new AlphaDropout(a),
  activityRegularization: (a: LayerArgs & { l1?: number; l2?: number } = {}) => new ActivityRegularization(a),
};
