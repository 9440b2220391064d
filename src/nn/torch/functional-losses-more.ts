// `tg.nn.functional`, the losses of losses-margin.ts, losses-multi.ts and losses-nll.ts: each the forward of its loss
// module (one implementation: numbers, gradients, checks and messages are the module's), as functional-losses.ts does
// for the others. The options are the module's (camelCase), refused by name otherwise (PyTorch's deprecated
// size_average/reduce included). F.cosineSimilarity and F.pairwiseDistance are in distance.ts.
import { checkOptionsObject } from '../../core/options.js';
import type { Tensor } from '../../core/tensor.js';
import {
  CosineEmbeddingLoss,
  HingeEmbeddingLoss,
  MarginRankingLoss,
  MultiLabelSoftMarginLoss,
  SoftMarginLoss,
  TripletMarginLoss,
} from './losses-margin.js';
import { MultiLabelMarginLoss, MultiMarginLoss } from './losses-multi.js';
import { GaussianNLLLoss, PoissonNLLLoss } from './losses-nll.js';
import type { Reduction } from './losses.js';
import { functional, who } from './functional-args.js';

type Fwd = { forward(...xs: Tensor[]): Tensor };
type LossClass<O> = new (opts: O & { name?: string }) => Fwd;

/** The module of a functional call: its options checked under the functional's name. */
function moduleFor<O extends object>(name: string, Cls: LossClass<O>, keys: readonly string[], opts: O): Fwd {
  checkOptionsObject(who(name), opts, ['reduction', ...keys], { required: true });
  return new Cls({ ...opts, name: who(name) });
}
/** A functional of two tensors (input, target). */
function loss2<O extends object>(name: string, Cls: LossClass<O>, keys: readonly string[]) {
  return functional(
    name,
    ['input', 'target', 'options'],
    (input: Tensor, target: Tensor, opts: O = {} as O): Tensor =>
      moduleFor(name, Cls, keys, opts).forward(input, target),
  );
}
/** A functional of three tensors. */
function loss3<O extends object>(name: string, Cls: LossClass<O>, keys: readonly string[], params: string[]) {
  return functional(
    name,
    [...params, 'options'],
    (a: Tensor, b: Tensor, c: Tensor, opts: O = {} as O): Tensor =>
      moduleFor(name, Cls, keys, opts).forward(a, b, c),
  );
}

type R = { reduction?: Reduction };
/** PyTorch `F.cosine_embedding_loss(input1, input2, target, margin=0, reduction='mean')`. */
export const cosineEmbeddingLoss = loss3<R & { margin?: number }>(
  'cosineEmbeddingLoss',
  CosineEmbeddingLoss,
  ['margin'],
  ['input1', 'input2', 'target'],
);
/** PyTorch `F.margin_ranking_loss(input1, input2, target, margin=0, reduction='mean')`. */
export const marginRankingLoss = loss3<R & { margin?: number }>(
  'marginRankingLoss',
  MarginRankingLoss,
  ['margin'],
  ['input1', 'input2', 'target'],
);
/** PyTorch `F.hinge_embedding_loss(input, target, margin=1.0, reduction='mean')`. */
export const hingeEmbeddingLoss = loss2<R & { margin?: number }>('hingeEmbeddingLoss', HingeEmbeddingLoss, [
  'margin',
]);
/** PyTorch `F.soft_margin_loss(input, target, reduction='mean')`. */
export const softMarginLoss = loss2<R>('softMarginLoss', SoftMarginLoss, []);
/** PyTorch `F.multilabel_soft_margin_loss(input, target, weight=None, reduction='mean')`. */
export const multilabelSoftMarginLoss = loss2<R & { weight?: Tensor | null }>(
  'multilabelSoftMarginLoss',
  MultiLabelSoftMarginLoss,
  ['weight'],
);
/** PyTorch `F.multi_margin_loss(input, target, p=1, margin=1, weight=None, reduction='mean')`. */
export const multiMarginLoss = loss2<R & { p?: 1 | 2; margin?: number; weight?: Tensor | null }>(
  'multiMarginLoss',
  MultiMarginLoss,
  ['p', 'margin', 'weight'],
);
/** PyTorch `F.multilabel_margin_loss(input, target, reduction='mean')`. */
export const multilabelMarginLoss = loss2<R>('multilabelMarginLoss', MultiLabelMarginLoss, []);
/** PyTorch `F.triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, reduction='mean')`. */
export const tripletMarginLoss = loss3<R & { margin?: number; p?: number; eps?: number; swap?: boolean }>(
  'tripletMarginLoss',
  TripletMarginLoss,
  ['margin', 'p', 'eps', 'swap'],
  ['anchor', 'positive', 'negative'],
);
/** PyTorch `F.poisson_nll_loss(input, target, log_input=True, full=False, eps=1e-8, reduction='mean')`. */
export const poissonNllLoss = loss2<R & { logInput?: boolean; full?: boolean; eps?: number }>(
  'poissonNllLoss',
  PoissonNLLLoss,
  ['logInput', 'full', 'eps'],
);
/** PyTorch `F.gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction='mean')`. */
export const gaussianNllLoss = loss3<R & { full?: boolean; eps?: number }>(
  'gaussianNllLoss',
  GaussianNLLLoss,
  ['full', 'eps'],
  ['input', 'target', 'var'],
);
