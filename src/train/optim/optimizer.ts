// The stateful optimizer: named parameters, per-parameter rule state, step/zeroGrad/applyGradients/minimize and
// a flat checkpoint state. All arithmetic lives in the pure UpdateRule.
import { isFloat } from '../../core/dtype.js';
import {
  DTypeError,
  GradError,
  NumericsError,
  ShapeError,
  ValueError,
  describeValue,
  fmtShape,
} from '../../core/errors.js';
import { shapesEqual } from '../../core/shape.js';
import { enableGrad, noGrad } from '../../core/tape.js';
import { Tensor, full, onesLike, writeValues } from '../../core/tensor.js';
import { backwardPass } from '../../core/autodiff.js';
import { cast } from '../../ops/elementwise/builders.js';
import { firstNonFinite } from '../../ops/finite.js';
import { clipByGlobalNorm, clipByNorm, clipGradientsByValue } from '../clip.js';
import { type LearningRate, resolveLr } from '../schedules.js';
import { type SlotState, type UpdateRule, checkLr } from './rule.js';
import { keep, withFrame } from '../../core/lifetime.js';
import { type FlatState, flatConcat, flatten, ownerAt, slotsOf } from './multi-tensor.js';

/** Optimizer state outlives the step that made it: never released by a lifetime frame. */
function keepSlots<S extends SlotState>(s: S): S {
  for (const t of Object.values(s)) keep(t);
  return s;
}

/** Parameters as a list (names from `.name`), a name → tensor record or map, or [name, tensor] pairs. */
export type ParamsInput =
  | readonly Tensor[]
  | ReadonlyMap<string, Tensor>
  | Readonly<Record<string, Tensor>>
  | readonly (readonly [string, Tensor])[];

/** The option names of {@link ClipOptions}, shared by every optimizer's known keys. */
export const CLIP_KEYS = ['clipValue', 'clipNorm', 'globalClipNorm'] as const;

/** Gradient clipping applied inside `step`/`applyGradients`, before weight decay (Keras option names). */
export interface ClipOptions {
  /** Clamp every gradient element into [-clipValue, clipValue]. */
  clipValue?: number;
  /** Rescale each gradient separately to L2 norm ≤ clipNorm. */
  clipNorm?: number;
  /** Rescale all gradients together so their global L2 norm ≤ globalClipNorm. */
  globalClipNorm?: number;
}

/** Gradients for `applyGradients`: name → gradient (record or map), TF.js `{name, tensor}[]`, or Keras `[grad, variable][]`. */
export type GradientsInput =
  | Readonly<Record<string, Tensor | null>>
  | ReadonlyMap<string, Tensor | null>
  | readonly { name: string; tensor: Tensor | null }[]
  | readonly (readonly [Tensor | null, Tensor])[];

interface Entry {
  name: string;
  param: Tensor;
  state: SlotState;
  /** Updates applied to this parameter (PyTorch's per-parameter `state['step']`). */
  steps: number;
}

function toPairs(p: ParamsInput, op: string): [string | undefined, Tensor][] {
  if (p instanceof Map) return [...p.entries()];
  if (Array.isArray(p))
    return p.map((x, i) => {
      if (x instanceof Tensor) return [x.name, x];
      if (Array.isArray(x) && x.length === 2 && typeof x[0] === 'string') return [x[0], x[1]];
      throw new ValueError(`${op}: parameter ${i} is neither a Tensor nor a [name, Tensor] pair`);
    });
  if (p !== null && typeof p === 'object') return Object.entries(p as Record<string, Tensor>);
  throw new ValueError(
    `${op}: parameters must be a Tensor[], a name → Tensor record or map, or [name, Tensor] pairs, got ${String(p)}`,
  );
}

/**
 * A stateful optimizer over named parameters. `step()` reads each `param.grad`, runs the pure rule and writes the
 * new values in place (`param.data.set(...)`, so reshape views of a parameter stay consistent).
 * @example
 * const opt = new Adam(model.parameters(), { lr: 1e-3 });
 * for (const [x, y] of batches) { opt.zeroGrad(); lossFn(y, model.apply(x)).backward(); opt.step(); }
 */
export class Optimizer {
  readonly rule: UpdateRule;
  clip: ClipOptions;
  /** Number of updates applied so far (Keras `iterations`). */
  iterations = 0;
  private entries: Entry[] = [];
  /**
   * The state of the last multi-tensor update (an elementwise rule's slots laid end to end over the entries it
   * updated), kept flat between steps; while it is set, those entries' own `state` is stale (`unflatten` writes it).
   */
  private flat: FlatState<Entry> | null = null;

  constructor(rule: UpdateRule, params?: ParamsInput, clip: ClipOptions = {}) {
    this.rule = rule;
    checkLr(rule.name, rule.hp.lr);
    for (const k of CLIP_KEYS) {
      const v: unknown = clip[k];
      if (v !== undefined && !(typeof v === 'number' && v > 0 && Number.isFinite(v)))
        throw new ValueError(
          `${rule.name}: ${k} must be a positive finite number, got ${typeof v === 'number' ? v : describeValue(v)}${typeof v === 'string' ? ` '${v}'` : ''}`,
        );
    }
    // NOTE: as Keras 3, at most one clipping rule (their order would otherwise be this library's choice)
    const set = CLIP_KEYS.filter((k) => clip[k] !== undefined);
    if (set.length > 1)
      throw new ValueError(
        `${rule.name}: only one of clipValue, clipNorm and globalClipNorm can be set, got ${set.join(', ')}`,
      );
    this.clip = { ...clip };
    if (params !== undefined) this.setParameters(params);
  }

  /**
   * Bind the parameters to train (what `model.compile` calls). State of a parameter with the same name and shape
   * as before is kept; other parameters get fresh state.
   */
  setParameters(params: ParamsInput): this {
    this.unflatten();
    const old = new Map(this.entries.map((e) => [e.name, e]));
    this.entries = [];
    toPairs(params, `${this.rule.name}.setParameters`).forEach(([name, t], i) => {
      const prev = old.get(name ?? `param${i}`);
      const keep = prev && shapesEqual(prev.param.shape, t.shape) ? prev : undefined;
      this.addParameter(t, name ?? `param${i}`, keep?.state, keep?.steps);
    });
    return this;
  }

  private addParameter(t: Tensor, name: string, state?: SlotState, steps = 0): Entry {
    const op = `${this.rule.name}`;
    if (!(t instanceof Tensor))
      throw new ValueError(`${op}: parameter '${name}' is ${typeof t}, expected a Tensor`);
    if (!isFloat(t.dtype))
      throw new DTypeError(
        `${op}: parameter '${name}' has dtype ${t.dtype}; only float32/float64 tensors can be trained`,
      );
    if (this.entries.some((e) => e.name === name))
      throw new ValueError(`${op}: two parameters are named '${name}'; parameter names must be unique`);
    const dup = this.entries.find((e) => e.param === t);
    if (dup)
      throw new ValueError(
        `${op}: parameter '${name}' is the same tensor as '${dup.name}' (it would be updated twice)`,
      );
    const e: Entry = { name, param: t, state: keepSlots(state ?? noGrad(() => this.rule.init(t))), steps };
    this.entries.push(e);
    return e;
  }

  /** The bound parameters, in order. */
  get parameters(): Tensor[] {
    return this.entries.map((e) => e.param);
  }
  /** Their names, in order. */
  get parameterNames(): string[] {
    return this.entries.map((e) => e.name);
  }

  /** The rate the next update will use (a schedule evaluated at `iterations`). */
  get learningRate(): number {
    return resolveLr(this.rule.hp.lr, this.iterations, this.rule.name);
  }
  /** Replace the rate (a number or a schedule) from the next update on. */
  set learningRate(lr: LearningRate) {
    checkLr(this.rule.name, lr);
    this.rule.hp.lr = lr;
  }

  private requireParams(op: string): void {
    if (this.entries.length === 0)
      throw new ValueError(
        `${this.rule.name}.${op}: the optimizer has no parameters; pass them to the constructor, call setParameters(model.parameters()), or compile a model with it`,
      );
  }

  /** Apply one update from every bound parameter's `.grad` (parameters without a gradient are skipped). */
  step(): void {
    this.requireParams('step');
    const work = this.entries.filter((e) => e.param.grad !== null).map((e) => ({ e, g: e.param.grad! }));
    if (work.length === 0)
      throw new GradError(
        `${this.rule.name}.step: no parameter has a gradient; call loss.backward() before step()`,
      );
    this.applyUpdates(work);
  }

  /** Clear every bound parameter's `.grad` (PyTorch `zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    for (const e of this.entries) e.param.grad = null;
  }

  /**
   * Apply gradients given explicitly (TF.js / Keras loops); `.grad` is neither read nor changed. Variables in
   * `[grad, variable]` pairs that are not bound yet are bound on the spot (Keras builds slots on first use).
   */
  applyGradients(grads: GradientsInput): void {
    const op = `${this.rule.name}.applyGradients`;
    const work: { e: Entry; g: Tensor }[] = [];
    const byName = (name: string, g: Tensor | null) => {
      const e = this.entries.find((x) => x.name === name);
      if (!e)
        throw new ValueError(
          `${op}: no parameter named '${name}' (bound: ${this.entries.map((x) => x.name).join(', ') || 'none; call setParameters first'})`,
        );
      if (g) work.push({ e, g });
    };
    if (grads instanceof Map) for (const [n, g] of grads) byName(n, g);
    else if (Array.isArray(grads))
      grads.forEach((item: unknown, i) => {
        if (Array.isArray(item) && item.length === 2 && item[1] instanceof Tensor) {
          const [g, v] = item as [Tensor | null, Tensor];
          const e =
            this.entries.find((x) => x.param === v) ??
            this.addParameter(v, v.name ?? `param${this.entries.length}`);
          if (g) work.push({ e, g });
        } else if (item !== null && typeof item === 'object' && 'name' in item && 'tensor' in item) {
          const it = item as { name: string; tensor: Tensor | null };
          byName(it.name, it.tensor);
        } else
          throw new ValueError(
            `${op}: item ${i} is neither a [gradient, variable] pair nor a {name, tensor} object`,
          );
      });
    else if (grads !== null && typeof grads === 'object')
      for (const [n, g] of Object.entries(grads)) byName(n, g);
    else
      throw new ValueError(
        `${op}: expected a name → gradient record/map or a list of pairs, got ${String(grads)}`,
      );
    if (work.length === 0)
      throw new GradError(`${op}: no gradients were given (all were null or the list was empty)`);
    const twice = work.find((w, i) => work.findIndex((x) => x.e === w.e) !== i);
    if (twice) throw new ValueError(`${op}: parameter '${twice.e.name}' got two gradients in one call`);
    this.applyUpdates(work);
  }

  /**
   * TF.js `optimizer.minimize`: run `f` (which returns a scalar loss), differentiate it with respect to `varList`
   * (default: the bound parameters) and apply the update. Returns the loss when `returnCost`.
   */
  minimize(f: () => Tensor, returnCost = false, varList?: Tensor[]): Tensor | null {
    const op = `${this.rule.name}.minimize`;
    if (!varList) this.requireParams('minimize');
    const vars = varList ?? this.parameters;
    const unmarked = vars.filter((v) => !v.requiresGrad);
    if (unmarked.length)
      throw new GradError(
        `${op}: ${unmarked.map((v) => v.name ?? fmtShape(v.shape)).join(', ')} do not have requiresGrad set, so no gradient can reach them`,
      );
    const loss = enableGrad(f);
    if (!(loss instanceof Tensor)) throw new GradError(`${op}: f must return a Tensor, got ${typeof loss}`);
    if (loss.size !== 1)
      throw new GradError(`${op}: f must return a scalar loss, got shape ${fmtShape(loss.shape)}`);
    if (!loss.requiresGrad)
      throw new GradError(`${op}: the loss does not depend on any variable that requires a gradient`);
    const gm = backwardPass([loss], [onesLike(loss)]);
    const pairs = vars.map((v) => [gm.get(v) ?? null, v] as const);
    if (pairs.every(([g]) => g === null))
      throw new GradError(`${op}: the loss does not depend on any of the ${vars.length} variables`);
    this.applyGradients(pairs);
    return returnCost ? loss.detach() : null;
  }

  private applyUpdates(work: { e: Entry; g: Tensor }[]): void {
    const name = this.rule.name;
    let gs = work.map(({ e, g }) => {
      if (!(g instanceof Tensor))
        throw new GradError(`${name}: gradient of '${e.name}' is ${typeof g}, expected a Tensor`);
      if (!shapesEqual(g.shape, e.param.shape))
        throw new ShapeError(
          `${name}: gradient of '${e.name}' has shape ${fmtShape(g.shape)} but the parameter has shape ${fmtShape(e.param.shape)}`,
        );
      return g.dtype === e.param.dtype ? g : noGrad(() => cast(g, e.param.dtype));
    });
    const { clipValue, clipNorm, globalClipNorm } = this.clip;
    if (clipValue !== undefined) gs = clipGradientsByValue(gs, clipValue);
    if (clipNorm !== undefined) gs = gs.map((g) => clipByNorm(g, clipNorm));
    if (globalClipNorm !== undefined) gs = clipByGlobalNorm(gs, globalClipNorm)[0];
    // NOTE: the step a rule sees (Adam's bias correction, Adagrad's lrDecay, SGD's first momentum) is the
    // parameter's own update count under the 'pytorch' convention (PyTorch's per-parameter state['step']: a
    // parameter that missed gradients or was bound later starts its own count) and the optimizer's under 'keras'
    // and 'tfjs' (Keras `iterations`, TF.js's shared β powers). The learning rate's schedule always runs on the
    // optimizer's count.
    const it = this.iterations;
    const own = this.rule.hp.convention === 'pytorch';
    const ts = work.map(({ e }) => (own ? e.steps + 1 : it + 1));
    const dtype = work[0].e.param.dtype;
    const multi =
      this.rule.elementwise === true &&
      work.length > 1 &&
      work.every((w, i) => w.e.param.dtype === dtype && ts[i] === ts[0]);
    // NOTE: in a lifetime frame, so the new values are copied from where the kernels left them into the parameters'
    // own arrays (no fresh array per parameter and step) and released as it ends; the new slots are kept.
    withFrame('internal', `${name}.step`, () => {
      if (multi && this.updateAll(work, gs, ts[0], it)) return null;
      this.unflatten();
      // compute every update first, then write, so a failure leaves all parameters untouched
      const results = noGrad(() =>
        work.map(({ e }, i) => this.rule.update(gs[i], e.param, e.state, ts[i], it)),
      );
      results.forEach((r, i) => {
        const j = firstNonFinite(r.param);
        if (j >= 0) throw this.nonFinite(it + 1, work[i].e, j);
      });
      results.forEach((r, i) => {
        const e = work[i].e;
        writeValues(e.param, r.param.raw);
        e.state = keepSlots(r.state);
      });
      return null;
    });
    for (const { e } of work) e.steps++;
    this.iterations = it + 1;
  }

  /**
   * One update of every parameter in `work` at once (an elementwise rule: multi-tensor.ts), from the flat state of
   * the last such update when it was over the same entries in the same order. False (nothing done) when their
   * state cannot be laid end to end; a failure leaves every parameter and the state as they were.
   */
  private updateAll(work: { e: Entry }[], gs: Tensor[], t: number, it: number): boolean {
    const entries = work.map((w) => w.e);
    let f = this.flat;
    if (!f || f.owners.length !== entries.length || f.owners.some((e, i) => e !== entries[i])) {
      this.unflatten();
      f = flatten(entries);
      if (!f) return false;
      keepSlots(f.slots);
      this.flat = f;
    }
    const slots = f.slots;
    const r = noGrad(() =>
      this.rule.update(flatConcat(gs), flatConcat(entries.map((e) => e.param)), slots, t, it),
    );
    const j = firstNonFinite(r.param);
    if (j >= 0) {
      const i = ownerAt(f, j);
      throw this.nonFinite(it + 1, entries[i], j - f.offsets[i]);
    }
    const v = r.param.raw;
    entries.forEach((e, i) => writeValues(e.param, v.subarray(f.offsets[i], f.offsets[i] + e.param.size)));
    f.slots = keepSlots(r.state);
    return true;
  }

  /** Write the flat state of the last multi-tensor update back into its entries (copies) and drop it. */
  private unflatten(): void {
    const f = this.flat;
    if (!f) return;
    this.flat = null;
    f.owners.forEach((e, i) => (e.state = keepSlots(slotsOf(f, i))));
  }

  private nonFinite(t: number, e: Entry, j: number): NumericsError {
    return new NumericsError(
      `${this.rule.name}: update ${t} would make parameter '${e.name}' non-finite at index ${j} (gradient or state holds NaN/Inf, or the learning rate is too large)`,
    );
  }

  /**
   * Flat checkpoint state: `<rule>/<param>/<slot>` for every slot, `<rule>/<param>/step` (the parameter's own
   * update count, int32 scalar) and `<rule>/iterations` (int32 scalar). Values are copies.
   */
  getState(): Record<string, Tensor> {
    this.unflatten();
    const p = this.rule.name;
    const out: Record<string, Tensor> = {
      [`${p}/iterations`]: full([], this.iterations, { dtype: 'int32' }),
    };
    for (const e of this.entries) {
      for (const [slot, t] of Object.entries(e.state))
        out[`${p}/${e.name}/${slot}`] = new Tensor(t.data.slice(), t.shape);
      out[`${p}/${e.name}/step`] = full([], e.steps, { dtype: 'int32' });
    }
    return out;
  }

  /** Load a state written by `getState` (strict: every slot of every bound parameter, no unknown keys). */
  setState(state: Readonly<Record<string, Tensor>>): void {
    const p = this.rule.name;
    const op = `${p}.setState`;
    this.requireParams('setState');
    this.unflatten();
    const used = new Set<string>();
    const it = state[`${p}/iterations`];
    if (!(it instanceof Tensor) || it.size !== 1)
      throw new ValueError(
        `${op}: missing '${p}/iterations' (keys given: ${Object.keys(state).slice(0, 5).join(', ')}${Object.keys(state).length > 5 ? ', ...' : ''})`,
      );
    const iters = it.item();
    if (!Number.isInteger(iters) || iters < 0)
      throw new ValueError(`${op}: '${p}/iterations' must be a non-negative integer, got ${iters}`);
    used.add(`${p}/iterations`);
    const steps = this.entries.map((e) => {
      const key = `${p}/${e.name}/step`;
      const t = state[key];
      if (!(t instanceof Tensor) || t.size !== 1) throw new ValueError(`${op}: missing '${key}' (a scalar)`);
      const v = t.item();
      if (!Number.isInteger(v) || v < 0 || v > iters)
        throw new ValueError(
          `${op}: '${key}' must be an integer in [0, ${iters}] (the iterations), got ${v}`,
        );
      used.add(key);
      return v;
    });
    const next = this.entries.map((e) => {
      const slots: SlotState = {};
      for (const [slot, cur] of Object.entries(e.state)) {
        const key = `${p}/${e.name}/${slot}`;
        const t = state[key];
        if (!(t instanceof Tensor)) throw new ValueError(`${op}: missing '${key}'`);
        if (!shapesEqual(t.shape, cur.shape))
          throw new ShapeError(
            `${op}: '${key}' has shape ${fmtShape(t.shape)}, expected ${fmtShape(cur.shape)}`,
          );
        const data = cur.data.slice();
        data.set(t.data);
        slots[slot] = new Tensor(data, cur.shape);
        used.add(key);
      }
      return slots;
    });
    const extra = Object.keys(state).filter((k) => !used.has(k));
    if (extra.length)
      throw new ValueError(
        `${op}: unexpected keys ${extra.join(', ')} (not slots of the bound parameters of this ${p} optimizer)`,
      );
    this.entries.forEach((e, i) => {
      e.state = next[i];
      e.steps = steps[i];
    });
    this.iterations = iters;
  }
}
