// `tg.nn.functional` (PyTorch's `torch.nn.functional`), part 3: the losses, each the forward of its loss module
// (CrossEntropyLoss, NLLLoss, MSELoss, ...) so numbers, gradients, checks and messages are the module's. The options
// are the module's (camelCase), refused by name otherwise (PyTorch's deprecated size_average/reduce included).
// NOTE: a module named after the functional is made per call (a name given, so no layer name is used up, and loss
// modules have no weights, so the seeded RNG is not touched).
import { checkOptionsObject } from '../../core/options.js';
import type { Tensor } from '../../core/tensor.js';
import { CrossEntropyLoss, NLLLoss } from './class-losses.js';
import {
  BCELoss,
  BCEWithLogitsLoss,
  HuberLoss,
  KLDivLoss,
  L1Loss,
  MSELoss,
  type Reduction,
  SmoothL1Loss,
} from './losses.js';
import { functional, who } from './functional-args.js';

type LossClass<O> = new (opts: O & { name?: string }) => { forward(input: Tensor, target: Tensor): Tensor };
/** The functional `name` of a loss module: its options checked under the functional's name, then its forward. */
function lossFn<O extends object>(name: string, Cls: LossClass<O>, keys: readonly string[]) {
  return functional(
    name,
    ['input', 'target', 'options'],
    (input: Tensor, target: Tensor, opts: O = {} as O): Tensor => {
      checkOptionsObject(who(name), opts, ['reduction', ...keys], { required: true });
      return new Cls({ ...opts, name: who(name) }).forward(input, target);
    },
  );
}

type Weighted = { weight?: Tensor | null; reduction?: Reduction };
/**
 * PyTorch `F.cross_entropy(input, target, weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.0)`
 * from logits [N, C, ...] or [C], class indices or probabilities (nn.CrossEntropyLoss's forward).
 */
export const crossEntropy = lossFn<Weighted & { ignoreIndex?: number; labelSmoothing?: number }>(
  'crossEntropy',
  CrossEntropyLoss,
  ['weight', 'ignoreIndex', 'labelSmoothing'],
);
/** PyTorch `F.nll_loss(input, target, weight=None, ignore_index=-100, reduction='mean')` on log-probabilities. */
export const nllLoss = lossFn<Weighted & { ignoreIndex?: number }>('nllLoss', NLLLoss, [
  'weight',
  'ignoreIndex',
]);
/** PyTorch `F.mse_loss(input, target, reduction='mean')`. */
export const mseLoss = lossFn<{ reduction?: Reduction }>('mseLoss', MSELoss, []);
/** PyTorch `F.l1_loss(input, target, reduction='mean')`. */
export const l1Loss = lossFn<{ reduction?: Reduction }>('l1Loss', L1Loss, []);
/** PyTorch `F.smooth_l1_loss(input, target, reduction='mean', beta=1.0)`. */
export const smoothL1Loss = lossFn<{ reduction?: Reduction; beta?: number }>('smoothL1Loss', SmoothL1Loss, [
  'beta',
]);
/** PyTorch `F.huber_loss(input, target, reduction='mean', delta=1.0)`. */
export const huberLoss = lossFn<{ reduction?: Reduction; delta?: number }>('huberLoss', HuberLoss, ['delta']);
/** PyTorch `F.binary_cross_entropy(input, target, weight=None, reduction='mean')` on probabilities. */
export const binaryCrossEntropy = lossFn<Weighted>('binaryCrossEntropy', BCELoss, ['weight']);
/** PyTorch `F.binary_cross_entropy_with_logits(input, target, weight=None, reduction='mean', pos_weight=None)`. */
export const binaryCrossEntropyWithLogits = lossFn<Weighted & { posWeight?: Tensor | null }>(
  'binaryCrossEntropyWithLogits',
  BCEWithLogitsLoss,
  ['weight', 'posWeight'],
);
/**
 * PyTorch `F.kl_div(input, target, reduction='mean', log_target=False)` on log-probabilities, with PyTorch's warning
 * for reduction 'mean' (the default; given by KLDivLoss.forward, under this functional's name).
 */
export const klDiv = lossFn<{ reduction?: Reduction | 'batchmean'; logTarget?: boolean }>(
  'klDiv',
  KLDivLoss,
  ['logTarget'],
);
