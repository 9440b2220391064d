// TF.js-style optimizer constructors (`tg.train.adam(lr)`): unbound optimizers that `model.compile` binds later.
import type { LearningRate } from './schedules.js';
import { Adadelta } from './optim/adadelta.js';
import { Adagrad } from './optim/adagrad.js';
import { Adam, AdamW } from './optim/adam.js';
import { Adamax } from './optim/adamax.js';
import { Nadam } from './optim/nadam.js';
import { RMSprop } from './optim/rmsprop.js';
import { SGD } from './optim/sgd.js';

/**
 * `tf.train.sgd(learningRate)`: plain gradient descent, p ← p - lr·g.
 * @example const opt = tg.train.sgd(0.1); opt.setParameters(params);
 */
export const sgd = (learningRate: LearningRate): SGD =>
  new SGD(undefined, { lr: learningRate, convention: 'tfjs' });

/**
 * `tf.train.momentum(learningRate, momentum, useNesterov)`: a ← μa + g, p ← p - lr·a (Nesterov: p ← p - lr(g + μa)).
 */
export const momentum = (learningRate: LearningRate, momentum: number, useNesterov = false): SGD =>
  new SGD(undefined, { lr: learningRate, momentum, nesterov: useNesterov, convention: 'tfjs' });

/**
 * `tf.train.adam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7)`:
 * p ← p - lr · m̂ / (√v̂ + ε) with bias-corrected moments (ε outside the root, as TF.js and PyTorch).
 */
export const adam = (learningRate: LearningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7): Adam =>
  new Adam(undefined, { lr: learningRate, beta1, beta2, epsilon, convention: 'tfjs' });

/**
 * AdamW in the same positional style (TF.js has none): `adamw(learningRate = 0.001, weightDecay = 0.01, beta1, beta2,
 * epsilon = 1e-7)`, decay decoupled from the gradient.
 */
export const adamw = (
  learningRate: LearningRate = 0.001,
  weightDecay = 0.01,
  beta1 = 0.9,
  beta2 = 0.999,
  epsilon = 1e-7,
): AdamW =>
  new AdamW(undefined, { lr: learningRate, weightDecay, beta1, beta2, epsilon, convention: 'tfjs' });

/**
 * `tf.train.rmsprop(learningRate, decay = 0.9, momentum = 0, epsilon = 1e-7, centered = false)`:
 * Δ = lr · g / √(v + ε), with momentum b ← μb + Δ, p ← p - b.
 */
export const rmsprop = (
  learningRate: LearningRate,
  decay = 0.9,
  momentum = 0,
  epsilon = 1e-7,
  centered = false,
): RMSprop =>
  new RMSprop(undefined, { lr: learningRate, rho: decay, momentum, epsilon, centered, convention: 'tfjs' });

/** `tf.train.adagrad(learningRate, initialAccumulatorValue = 0.1)`: s ← s + g², p ← p - lr · g / √(s + 1e-7). */
export const adagrad = (learningRate: LearningRate, initialAccumulatorValue = 0.1): Adagrad =>
  new Adagrad(undefined, { lr: learningRate, initialAccumulatorValue, convention: 'tfjs' });

/**
 * `tf.train.adadelta(learningRate = 0.001, rho = 0.95, epsilon = 1e-7)`: v ← ρv + (1-ρ)g²,
 * Δ = √(a + ε)/√(v + ε) · g, a ← ρa + (1-ρ)Δ², p ← p - lr·Δ (v updated before Δ, as Keras and PyTorch).
 */
export const adadelta = (learningRate: LearningRate = 0.001, rho = 0.95, epsilon = 1e-7): Adadelta =>
  new Adadelta(undefined, { lr: learningRate, rho, epsilon, convention: 'tfjs' });

/**
 * `tf.train.adamax(learningRate = 0.002, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, decay = 0)`:
 * u ← max(β₂u, |g|), p ← p - lr/(1 + (t-1)·decay)/(1-β₁ᵗ) · m / (u + ε).
 */
export const adamax = (
  learningRate: LearningRate = 0.002,
  beta1 = 0.9,
  beta2 = 0.999,
  epsilon = 1e-7,
  decay = 0,
): Adamax =>
  new Adamax(undefined, { lr: learningRate, beta1, beta2, epsilon, lrDecay: decay, convention: 'tfjs' });

/**
 * Nadam in the same positional style (TF.js has none): `nadam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999,
 * epsilon = 1e-7)`, Keras 3's `Nadam` (momentum schedule μ_t = β₁(1 - ½·0.96ᵗ)).
 */
export const nadam = (
  learningRate: LearningRate = 0.001,
  beta1 = 0.9,
  beta2 = 0.999,
  epsilon = 1e-7,
): Nadam => new Nadam(undefined, { lr: learningRate, beta1, beta2, epsilon, convention: 'tfjs' });
