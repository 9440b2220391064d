// The base of the PyTorch-style wing: `Module` (define-by-run models whose sub-modules and Parameters are found on
// their properties, PyTorch's train/eval propagation, apply(fn), zero_grad, buffers, named_modules, state_dict /
// load_state_dict over state-dict.ts, and a traced summary) and `Parameter`.
// NOTE: the modules themselves live in module.ts, dropout.ts, containers.ts, layers.ts, recurrent.ts, losses.ts and
// class-losses.ts, which import this file; it imports none of them, so there is no cycle leaving Module undefined
// while a subclass is evaluated.
import { ValueError, describeValue } from '../../core/errors.js';
import { checkOptionsObject } from '../../core/options.js';
import { Tensor, zeros } from '../../core/tensor.js';
import { type CallKwargs, Layer, type LayerIO, type Weight, shapesOf } from '../layer.js';
import { type SummaryOptions, type SummaryRow, formatSummary } from '../keras/summary.js';
import { noGrad } from '../../core/tape.js';
import { checkForwardArgs } from './forward-args.js';
import { keep } from '../../core/lifetime.js';
import {
  type IncompatibleKeys,
  type StateDict,
  type StateNode,
  loadStateTree,
  stateDictOf,
} from './state-dict.js';

/** Tensors made Parameters: still parameters (listed, saved) after `p.requiresGrad = false` freezes them. */
const parameters = new WeakSet<Tensor>();
/** A trainable tensor (PyTorch `nn.Parameter`). */
export const Parameter = (t: Tensor): Tensor => {
  parameters.add(t);
  return t.requireGrad(true);
};
/** Non-Module layers (Keras wing) whose mode a Module's train()/eval() has set. */
const told = new WeakSet<Layer>();
const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * Base class for define-by-run models: override `forward`. Sub-modules and Parameters assigned to
 * properties are found automatically; `m.forward(x)` and `m.apply(x)` both run hooks.
 */
export abstract class Module extends Layer {
  static override className = 'Module';
  constructor(name?: string) {
    super({ name });
    this.training = true;
    const fwd = this.forward;
    // NOTE: a list reaching the call is the positional arguments: forward(x, hx), or apply([a, b]) from a Keras
    // model or the ONNX exporter. forward(list) wraps its one list, so forward receives the list itself.
    // A call with more positional arguments than forward declares, or fewer than it requires, is refused, as
    // PyTorch's TypeError.
    // NOTE: a forward assigned as a class field (`forward = (x) => ...`) is not there yet: it replaces the wrapper
    // below once this constructor returns, so the call reads it then (a direct call skips apply's hooks).
    this.callImpl = (x: LayerIO) => {
      const f = typeof fwd === 'function' ? fwd : this.forward;
      if (f === wrapper)
        throw new ValueError(`${this.name} (${this.className}): the module defines no forward method`);
      checkForwardArgs(`${this.name} (${this.className})`, f, Array.isArray(x) ? x.length : 1);
      if (!Array.isArray(x)) return f.call(this, x);
      return f.apply(this, x);
    };
    const wrapper = (...args: any[]) =>
      this.apply(args.length === 1 && !Array.isArray(args[0]) ? args[0] : args) as any;
    this.forward = wrapper;
    this.built = true;
  }
  abstract forward(...args: any[]): any;
  private synced = false;
  /**
   * PyTorch `module.apply(fn)` when given a function: fn on every sub-module (children first), then on this
   * module; returns this. Otherwise the layer call (hooks, scope), as `forward`.
   */
  override apply(fn: (module: Layer) => unknown): this;
  override apply(inputs: any, kwargs?: CallKwargs): any;
  override apply(inputs: any, kwargs: CallKwargs = {}): any {
    if (typeof inputs === 'function') {
      const visit = (l: Layer): void => {
        for (const [, c] of l.children()) visit(c);
        inputs(l);
      };
      visit(this);
      return this;
    }
    if (!this.synced) this.syncMode();
    return super.apply(inputs, kwargs);
  }
  /**
   * NOTE: children are assigned after this constructor runs, and Keras-wing layers start in inference mode, so the
   * first call hands our mode to the non-Module children no train()/eval() of ours has reached. Module children
   * keep theirs: they start in train mode as we do, so another mode was set on purpose (`net.bn.eval()`, or
   * `net.eval(); net.drop.train()` for MC dropout), and PyTorch keeps it.
   */
  private syncMode(): void {
    this.synced = true;
    for (const [, c] of this.children())
      if (c instanceof Module) {
        if (!c.synced) c.syncMode();
      } else if (!told.has(c)) c.train(this.training);
  }
  override train(on = true): this {
    if (typeof on !== 'boolean')
      throw new ValueError(
        `${this.name} (${this.className}).train: training mode is expected to be boolean, got ${JSON.stringify(on) ?? String(on)}`,
      );
    super.train(on);
    for (const [, c] of this.children()) if (!(c instanceof Module)) told.add(c);
    return this;
  }
  call(x: LayerIO): LayerIO {
    return this.callImpl(x, {});
  }
  /**
   * Sub-layers by PyTorch name (`conv1`, `layers.0`; a container's `0`, `1`), duplicates kept: PyTorch's `_modules`,
   * which stateDict and loadStateDict walk. Containers override it.
   */
  protected childEntries(): [string, Layer][] {
    return super.children().map(([k, c]): [string, Layer] => [this.childPrefix(k, c), c]);
  }
  /** Sub-layers by PyTorch name, each once (a module held in two properties goes by the first, as in PyTorch). */
  override children(): [string, Layer][] {
    const seen = new Set<Layer>();
    return this.childEntries().filter(([, c]) => !seen.has(c) && !!seen.add(c));
  }
  /**
   * This module's own weights, without its children's: Parameter properties (a Parameter, or a leaf tensor that
   * requires grad; not an op's output kept on `this`, such as a cached activation, which PyTorch does not register
   * either), then its own weights and buffers. An own weight follows its property (`weight`, or `runningMean` for
   * running_mean): a tensor assigned there replaces it, null removes it.
   */
  private ownNamed(): Weight[] {
    const self = this as unknown as Record<string, unknown>;
    const has = (k: string) => Object.prototype.hasOwnProperty.call(this, k);
    const own: Weight[] = [];
    for (const w of this.ownWeights) {
      const key = [w.name, camel(w.name)].find(has);
      const v = key === undefined ? w.value : self[key];
      if (v instanceof Tensor) w.value = v;
      if (v !== null) own.push(w);
    }
    const bound = new Set(own.map((w) => w.value));
    const props = Object.entries(this)
      .filter(
        (e): e is [string, Tensor] =>
          e[1] instanceof Tensor &&
          (parameters.has(e[1]) || (e[1].requiresGrad && e[1].isLeaf)) &&
          !bound.has(e[1]),
      )
      .map(([k, v]): Weight => ({ name: k, value: v, trainable: true }));
    return [...props, ...own];
  }
  /**
   * Weights by path: this module's own (see ownNamed), then the children's. A Parameter stays a weight when frozen
   * (requiresGrad false). A tensor shared by two paths (tied weights, a module in two properties) is listed once,
   * under its first path, as PyTorch's named_parameters.
   */
  override namedWeights(prefix = ''): [string, Weight][] {
    const all = [
      ...this.ownNamed().map((w): [string, Weight] => [`${prefix}${w.name}`, w]),
      ...this.children().flatMap(([k, c]) => c.namedWeights(`${prefix}${k}.`)),
    ];
    const seen = new Set<Tensor>();
    return all.filter(([, w]) => !seen.has(w.value) && !!seen.add(w.value));
  }
  /**
   * PyTorch `register_buffer(name, tensor, persistent = True)`: a tensor of the module's state that is no parameter
   * (running statistics, a fixed mask), reached as `this[name]` and listed by namedBuffers; stateDict holds it unless
   * `persistent: false`. A null tensor registers the name without a value (not in stateDict until one is assigned).
   * NOTE: the tensor itself is held, not a copy, as PyTorch; assigning `this[name]` later replaces it.
   */
  registerBuffer(name: string, tensor: Tensor | null, opts: { persistent?: boolean } = {}): void {
    const who = `${this.name} (${this.className}).registerBuffer`;
    checkOptionsObject(who, opts, ['persistent'], { required: true, what: 'options (the 3rd argument)' });
    const persistent = opts.persistent ?? true;
    if (typeof persistent !== 'boolean')
      throw new ValueError(`${who}: persistent must be true or false, got ${describeValue(persistent)}`);
    if (typeof name !== 'string')
      throw new ValueError(`${who}: buffer name should be a string, got ${describeValue(name)}`);
    if (name.includes('.')) throw new ValueError(`${who}: buffer name can't contain ".", got '${name}'`);
    if (name === '') throw new ValueError(`${who}: buffer name can't be empty string ""`);
    const self = this as unknown as Record<string, unknown>;
    const registered = this.ownWeights.find((w) => w.name === name && !w.trainable);
    if (!registered && name in this && self[name] !== undefined)
      throw new ValueError(`${who}: attribute '${name}' already exists`);
    if (tensor !== null && !(tensor instanceof Tensor))
      throw new ValueError(
        `${who}: cannot assign ${describeValue(tensor)} to buffer '${name}' (a Tensor or null required)`,
      );
    this.addBuffer(name, tensor, persistent, name);
  }
  /** A buffer under its state name, held on property `prop` (a loss's pos_weight is `posWeight`). */
  protected addBuffer(name: string, tensor: Tensor | null, persistent: boolean, prop: string): void {
    const w = this.ownWeights.find((v) => v.name === name && !v.trainable);
    // NOTE: a null buffer keeps an empty placeholder: the null property hides it from every weight list.
    const value = keep(tensor) ?? new Tensor(new Float32Array(0), [0]);
    if (w) w.value = value;
    else this.ownWeights.push({ name, value, trainable: false });
    (this as unknown as Record<string, unknown>)[prop] = tensor;
    if (persistent) this.transient.delete(name);
    else this.transient.add(name);
  }
  /** Names of the buffers registered with persistent: false (PyTorch keeps them out of state_dict). */
  private readonly transient = new Set<string>();
  /** PyTorch `named_children()`: the direct sub-modules by name, each once. */
  namedChildren(): [string, Layer][] {
    return this.children();
  }
  /**
   * PyTorch `named_modules(prefix = '', remove_duplicate = True)`: this module ('' or the prefix) and every
   * sub-module below it by dotted path, depth first in declaration order; a module reached twice is listed once
   * unless removeDuplicate is false.
   */
  namedModules(opts: { prefix?: string; removeDuplicate?: boolean } = {}): [string, Layer][] {
    const who = `${this.name} (${this.className}).namedModules`;
    checkOptionsObject(who, opts, ['prefix', 'removeDuplicate'], { required: true });
    const { prefix = '', removeDuplicate = true } = opts;
    if (typeof prefix !== 'string' || typeof removeDuplicate !== 'boolean')
      throw new ValueError(
        `${who}: prefix must be a string and removeDuplicate true or false, got ${describeValue(prefix)} and ${describeValue(removeDuplicate)}`,
      );
    const seen = new Set<Layer>();
    const out: [string, Layer][] = [];
    const visit = (l: Layer, path: string): void => {
      if (removeDuplicate && seen.has(l)) return;
      seen.add(l);
      out.push([path, l]);
      // NOTE: without removeDuplicate, a module held twice is walked under both names (PyTorch's `_modules`)
      const kids = l instanceof Module ? (removeDuplicate ? l.children() : l.childEntries()) : childrenOf(l);
      for (const [k, c] of kids) visit(c, path ? `${path}.${k}` : k);
    };
    visit(this, prefix);
    return out;
  }
  /** PyTorch `modules()`: the modules of namedModules, this one first. */
  modules(): Layer[] {
    return this.namedModules().map(([, m]) => m);
  }
  /**
   * The module tree as stateDict and loadStateDict walk it: PyTorch's `_modules` recursion, so a module held twice
   * is visited under both names; each module's parameters, then its persistent buffers.
   */
  protected stateTree(prefix = ''): StateNode[] {
    const own = this.ownNamed().filter((w) => w.trainable || !this.transient.has(w.name));
    const entries = this.childEntries();
    const nodes: StateNode[] = [
      {
        prefix,
        own: [...own.filter((w) => w.trainable), ...own.filter((w) => !w.trainable)].map((w) => [
          w.name,
          w.value,
        ]),
        children: entries.map(([k]) => k),
        defaults: this.stateDefaults(),
      },
    ];
    for (const [k, c] of entries)
      nodes.push(
        ...(c instanceof Module
          ? c.stateTree(`${prefix}${k}.`)
          : [
              {
                prefix: `${prefix}${k}.`,
                own: c.namedWeights().map(([n, w]): [string, Tensor] => [n, w.value]),
                children: [],
                defaults: [],
              },
            ]),
      );
    return nodes;
  }
  /** Own buffers that load as 0 when a state dict lacks them (BatchNorm's num_batches_tracked, as PyTorch). */
  protected stateDefaults(): readonly string[] {
    return [];
  }
  /**
   * PyTorch `state_dict()`: parameters and persistent buffers by dotted name (`conv1.weight`,
   * `bn.running_mean`, `bn.num_batches_tracked`), module by module in PyTorch's order; `prefix` goes before every name.
   * NOTE: the values are copies that nothing changes later (tapegrad hands out no memory that changes under the
   * caller), so keepVars is refused: namedParameters and namedBuffers give the live tensors.
   */
  stateDict(opts: { prefix?: string } = {}): StateDict {
    const who = `${this.name} (${this.className}).stateDict`;
    if (opts !== null && typeof opts === 'object' && 'keepVars' in opts)
      throw new ValueError(
        `${who}: keepVars is not supported: the state dict holds copies; namedParameters() and namedBuffers() give the live tensors`,
      );
    checkOptionsObject(who, opts, ['prefix'], { required: true });
    if (opts.prefix !== undefined && typeof opts.prefix !== 'string')
      throw new ValueError(`${who}: prefix must be a string, got ${describeValue(opts.prefix)}`);
    return stateDictOf(this.stateTree(opts.prefix ?? ''));
  }
  /**
   * PyTorch `load_state_dict(state_dict, strict = True)` from a record or Map of tensors (a stateDict, or
   * `tg.loadSafetensors(path).tensors`): copies each value into the tensor of its name (casting to its dtype) and
   * returns the names it lacked and the names it did not use. Throws with PyTorch's text on a size mismatch, a value
   * that is no tensor, and (strict) on missing or unexpected names.
   * NOTE: a throw loads nothing (PyTorch copies the good values first); a missing BatchNorm num_batches_tracked loads 0,
   * as PyTorch does for a state dict without version metadata, which tapegrad's never carry.
   */
  loadStateDict(
    stateDict: StateDict | Map<string, Tensor>,
    opts: { strict?: boolean } = {},
  ): IncompatibleKeys {
    return loadStateTree(this.className, this.stateTree(), stateDict, opts);
  }
  /**
   * PyTorch `named_buffers()`: the weights that are no parameters (BatchNorm's running_mean, running_var and
   * num_batches_tracked; a Keras-wing child's non-trainable weights), by path, in the order of namedWeights.
   */
  namedBuffers(): [string, Tensor][] {
    return this.namedWeights()
      .filter(([, w]) => !w.trainable)
      .map(([n, w]) => [n, w.value]);
  }
  /** PyTorch `buffers()`: the tensors of namedBuffers. */
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }
  /**
   * Keras-format summary of a define-by-run model, traced by running zeros of `[1, ...inputShape]`
   * through it and recording every leaf module's output shape in call order.
   */
  summary(opts: SummaryOptions & { inputShape: (number | null)[] }): string {
    if (!opts || !Array.isArray(opts.inputShape))
      throw new ValueError(
        `${this.name}.summary: a define-by-run module is traced from a sample input; pass summary({ inputShape: [...] }) without the batch axis`,
      );
    const rows: SummaryRow[] = [];
    const leaves: Layer[] = [];
    const walk = (l: Layer) =>
      l.children().length ? l.children().forEach(([, c]) => walk(c)) : leaves.push(l);
    walk(this);
    const seen = new Set<Layer>();
    const offs = leaves.map((l) =>
      l.registerForwardHook((layer, _x, y) => {
        rows.push({
          layer,
          outputShapes: shapesOf(y).map((s) => [null, ...s.slice(1)]),
          params: seen.has(layer) ? 0 : layer.countParams(),
        });
        seen.add(layer);
      }),
    );
    try {
      noGrad(() =>
        this.apply(zeros(opts.inputShape.length ? [1, ...opts.inputShape.map((d) => d ?? 1)] : [1])),
      );
    } finally {
      offs.forEach((f) => f());
    }
    const tr = this.trainableWeights.reduce((a, w) => a + w.value.size, 0);
    const all = this.countParams();
    const text = formatSummary(this.name, rows, { trainable: tr, nonTrainable: all - tr }, opts);
    const p = opts.print ?? true;
    if (p) text.split('\n').forEach((line) => (typeof p === 'function' ? p(line) : console.log(line)));
    return text;
  }
  /**
   * PyTorch `zero_grad(set_to_none = True)` (PyTorch 2's default): every weight's grad becomes null; with false, a
   * weight that has a grad gets zeros of its shape instead (PyTorch 1's default).
   * NOTE: a new zero tensor, not the old grad zeroed in place: backward may hand one gradient tensor to two leaves.
   */
  zeroGrad(setToNone = true): void {
    if (typeof setToNone !== 'boolean')
      throw new ValueError(
        `${this.name} (${this.className}).zeroGrad: set_to_none must be true or false, got ${JSON.stringify(setToNone) ?? String(setToNone)}`,
      );
    for (const w of this.weights) {
      const g = w.value.grad;
      w.value.grad = setToNone || g === null ? null : keep(zeros(g.shape, { dtype: g.dtype }));
    }
  }
}

/** A Keras-wing layer's sub-layers by the names their weights go by (a container's childPrefix: the layer names). */
function childrenOf(l: Layer): [string, Layer][] {
  // NOTE: childPrefix is protected; only a Module may ask another layer for it, as namedWeights does on itself
  const named = l as unknown as { childPrefix(k: string, c: Layer): string };
  return l.children().map(([k, c]): [string, Layer] => [named.childPrefix(k, c), c]);
}
