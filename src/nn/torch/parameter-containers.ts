// PyTorch's parameter containers: `nn.ParameterList` (tensors held by position) and `nn.ParameterDict` (tensors by
// key). Their tensors are the module's own parameters under PyTorch's names (`0`, `1`, ... or the keys), so a model's
// `params.0` and `table.bias` match PyTorch's state dicts. A tensor put in one becomes a Parameter (requiresGrad
// true), as PyTorch's containers wrap plain tensors.
// NOTE: unlike PyTorch's (which also hold arbitrary objects as plain attributes), they hold Tensors only; anything
// else is refused by name.
import { ValueError, describeValue } from '../../core/errors.js';
import { keep } from '../../core/lifetime.js';
import { Tensor } from '../../core/tensor.js';
import { Module, Parameter } from './base.js';

/** A tensor made a Parameter; an op's output (not a leaf) is cut from the tape first, as PyTorch's Parameter(t). */
function asParameter(who: string, what: string, t: unknown): Tensor {
  if (!(t instanceof Tensor))
    throw new ValueError(
      `${who}: ${what} must be a Tensor (a ParameterList/ParameterDict holds tensors only), got ${describeValue(t)}`,
    );
  return keep(Parameter(t.isLeaf ? t : t.detach()));
}

/** The container's tensors as its own weights, by name, in order (what namedParameters and stateDict read). */
abstract class ParameterContainer extends Module {
  protected get who(): string {
    return `${this.name} (${this.className})`;
  }
  /** Makes the own weights exactly these [name, tensor] pairs (buffers registered on the container are kept). */
  protected sync(entries: [string, Tensor][]): void {
    const buffers = this.ownWeights.filter((w) => !w.trainable);
    this.ownWeights = [...entries.map(([name, value]) => ({ name, value, trainable: true })), ...buffers];
  }
  forward(): never {
    throw new ValueError(`${this.who} should not be called (read its parameters in your module's forward)`);
  }
}

/** PyTorch `nn.ParameterList(values)`: tensors by position, registered as parameters `0`, `1`, ... */
export class ParameterList extends ParameterContainer {
  static override className = 'ParameterList';
  readonly #list: Tensor[] = [];
  constructor(values: Iterable<Tensor> = []) {
    super();
    this.extend(values);
  }
  /** PyTorch `len(list)`. */
  get length(): number {
    return this.#list.length;
  }
  /** An index as PyTorch reads it: negative from the end; out of range throws (`IndexError`). */
  private index(i: unknown): number {
    const n = this.#list.length;
    if (typeof i !== 'number' || !Number.isInteger(i))
      throw new ValueError(`${this.who}: index must be an integer, got ${describeValue(i)}`);
    if (i < -n || i >= n) throw new ValueError(`${this.who}: index ${i} is out of range (${n} parameters)`);
    return i < 0 ? i + n : i;
  }
  private update(): void {
    this.sync(this.#list.map((t, i): [string, Tensor] => [String(i), t]));
  }
  /** PyTorch `list[i]`. */
  at(i: number): Tensor {
    return this.#list[this.index(i)];
  }
  /** The same as `at(i)`. */
  get(i: number): Tensor {
    return this.at(i);
  }
  /** PyTorch `list[i] = tensor` (made a Parameter); returns this. */
  set(i: number, value: Tensor): this {
    const k = this.index(i);
    this.#list[k] = asParameter(`${this.who}.set`, 'the value', value);
    this.update();
    return this;
  }
  /** Add a tensor at the end (made a Parameter); returns this. */
  append(value: Tensor): this {
    this.#list.push(asParameter(`${this.who}.append`, 'the value', value));
    this.update();
    return this;
  }
  /** Append every tensor of an iterable; returns this. A Tensor itself is refused (PyTorch never unpacks one). */
  extend(values: Iterable<Tensor>): this {
    if (
      values === null ||
      values instanceof Tensor ||
      typeof (values as Partial<Iterable<Tensor>>)[Symbol.iterator] !== 'function'
    )
      throw new ValueError(
        `${this.who}.extend should be called with an iterable, but got ${describeValue(values)}`,
      );
    const list = [...values].map((t, i) => asParameter(`${this.who}.extend`, `element ${i}`, t));
    this.#list.push(...list);
    this.update();
    return this;
  }
  [Symbol.iterator](): Iterator<Tensor> {
    return this.#list[Symbol.iterator]();
  }
}

/**
 * PyTorch `nn.ParameterDict(parameters)`: tensors by key in insertion order, from a record, a Map or [key, tensor]
 * pairs, registered as parameters under their keys.
 * NOTE: iterating it gives the keys, as PyTorch's; a record's integer-like keys come first (JavaScript's order): pass
 * a Map or pairs to keep another.
 */
export class ParameterDict extends ParameterContainer {
  static override className = 'ParameterDict';
  readonly #map = new Map<string, Tensor>();
  constructor(parameters: Record<string, Tensor> | Iterable<readonly [string, Tensor]> = []) {
    super();
    this.update(parameters);
  }
  /** PyTorch `len(d)`. */
  get length(): number {
    return this.#map.size;
  }
  /** PyTorch `d[key]`; a missing key throws (`KeyError`). */
  get(key: string): Tensor {
    const t = this.#map.get(key);
    if (t === undefined)
      throw new ValueError(
        `${this.who}.get: no parameter named ${JSON.stringify(key) ?? String(key)} (keys: ${[...this.#map.keys()].join(', ') || 'none'})`,
      );
    return t;
  }
  /** PyTorch `key in d`. */
  has(key: string): boolean {
    return this.#map.has(key);
  }
  /** PyTorch `d[key] = tensor` (register_parameter's name rules; made a Parameter); returns this. */
  set(key: string, value: Tensor): this {
    if (typeof key !== 'string')
      throw new ValueError(`${this.who}: parameter name should be a string, got ${describeValue(key)}`);
    if (key.includes('.')) throw new ValueError(`${this.who}: parameter name can't contain ".", got: ${key}`);
    if (key === '') throw new ValueError(`${this.who}: parameter name can't be empty string ""`);
    // NOTE: a key that is an attribute of the module (training, name, ...) is refused, as PyTorch's register_parameter
    if (!this.#map.has(key) && key in this)
      throw new ValueError(`${this.who}: attribute '${key}' already exists`);
    this.#map.set(key, asParameter(`${this.who}.set`, `the value for '${key}'`, value));
    this.sync([...this.#map.entries()]);
    return this;
  }
  /** PyTorch `pop(key)`: remove the tensor under key and return it; a missing key throws. */
  pop(key: string): Tensor {
    const t = this.get(key);
    this.#map.delete(key);
    this.sync([...this.#map.entries()]);
    return t;
  }
  /** Remove every tensor. */
  clear(): void {
    this.#map.clear();
    this.sync([]);
  }
  /** PyTorch `update(parameters)`: set each [key, tensor] of a record, a Map or pairs; returns this. */
  update(parameters: Record<string, Tensor> | Iterable<readonly [string, Tensor]>): this {
    if (parameters === null || typeof parameters !== 'object' || parameters instanceof Tensor)
      throw new ValueError(
        `${this.who}.update should be called with a record, a Map or [key, tensor] pairs, but got ${describeValue(parameters)}`,
      );
    const iterable = typeof (parameters as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function';
    const pairs: unknown[] = iterable ? [...(parameters as Iterable<unknown>)] : Object.entries(parameters);
    pairs.forEach((p, j) => {
      if (!Array.isArray(p) || p.length !== 2)
        throw new ValueError(
          `${this.who}: update sequence element #${j} should be a [key, tensor] pair, got ${describeValue(p)}`,
        );
    });
    for (const [k, t] of pairs as [string, Tensor][]) this.set(k, t);
    return this;
  }
  keys(): string[] {
    return [...this.#map.keys()];
  }
  values(): Tensor[] {
    return [...this.#map.values()];
  }
  /** PyTorch `items()`. */
  entries(): [string, Tensor][] {
    return [...this.#map.entries()];
  }
  [Symbol.iterator](): Iterator<string> {
    return this.#map.keys();
  }
}
