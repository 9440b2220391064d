// PyTorch's containers: `nn.Sequential` (modules applied in order), `nn.ModuleList` (an indexable list whose forward
// the user writes) and `nn.ModuleDict` (modules by key). Their children go by PyTorch's names (`0`, `1`, ... or the
// keys), so weights are `layers.0.weight` and state dicts match PyTorch's.
import { ValueError, describeValue } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { Layer } from '../layer.js';
import { Module } from './base.js';

/** What a value that should have been a module is, for errors. */
function whatIs(m: unknown): string {
  if (Array.isArray(m)) return 'an array';
  if (typeof m === 'function') return 'a function (wrap it in a Module whose forward calls it)';
  if (m === null || typeof m !== 'object') return JSON.stringify(m) ?? String(m);
  return describeValue(m);
}
function checkModule(who: string, what: string, m: unknown): Layer {
  if (m instanceof Layer) return m;
  throw new ValueError(`${who}: ${what} must be a Module, got ${whatIs(m)}`);
}

/** Sequential and ModuleList: modules in a list, named by position. */
abstract class IndexedContainer extends Module {
  readonly #list: Layer[] = [];
  protected get who(): string {
    return `${this.name} (${this.className})`;
  }
  /** PyTorch `len(container)`. */
  get length(): number {
    return this.#list.length;
  }
  /** The modules in order, for a forward to walk without an iterator. */
  protected get list(): readonly Layer[] {
    return this.#list;
  }
  /** An index as PyTorch reads it: negative counts from the end; out of range throws (`IndexError`). */
  protected index(i: unknown, what = 'index'): number {
    const n = this.#list.length;
    if (typeof i !== 'number' || !Number.isInteger(i))
      throw new ValueError(`${this.who}: ${what} must be an integer, got ${JSON.stringify(i) ?? String(i)}`);
    if (i < -n || i >= n)
      throw new ValueError(`${this.who}: index ${i} is out of range (${n} module${n === 1 ? '' : 's'})`);
    return i < 0 ? i + n : i;
  }
  /**
   * PyTorch `container[i]`: the module at i, negative from the end.
   * NOTE: an index out of range throws, as PyTorch's IndexError (Array.prototype.at would give undefined).
   */
  at(i: number): Layer {
    return this.#list[this.index(i)];
  }
  /** The same as `at(i)`. */
  get(i: number): Layer {
    return this.at(i);
  }
  /** PyTorch `container[i] = module`. */
  set(i: number, module: Layer): this {
    const k = this.index(i);
    this.#list[k] = checkModule(`${this.who}.set`, 'the value', module);
    return this;
  }
  /** Add a module at the end; returns this. */
  append(module: Layer): this {
    this.#list.push(checkModule(`${this.who}.append`, 'the argument', module));
    return this;
  }
  /** Append every module of an iterable (an array, another container); returns this. */
  extend(modules: Iterable<Layer>): this {
    if (modules === null || typeof (modules as Partial<Iterable<Layer>>)[Symbol.iterator] !== 'function')
      throw new ValueError(
        `${this.who}.extend should be called with an iterable, but got ${describeValue(modules)}`,
      );
    const list = [...modules];
    list.forEach((m, i) => checkModule(`${this.who}.extend`, `element ${i}`, m));
    this.#list.push(...list);
    return this;
  }
  /** Insert a module before position `index` (0 to length; negative from the end, as PyTorch's Sequential.insert). */
  insert(index: number, module: Layer): this {
    const n = this.#list.length;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < -n || index > n)
      throw new ValueError(
        `${this.who}.insert: Index out of range: ${JSON.stringify(index) ?? String(index)} (${-n} to ${n} for ${n} module${n === 1 ? '' : 's'})`,
      );
    this.#list.splice(
      index < 0 ? index + n : index,
      0,
      checkModule(`${this.who}.insert`, 'the module', module),
    );
    return this;
  }
  /** PyTorch `pop(i)`: remove the module at i and return it; the ones after it move up (names follow). */
  pop(i: number): Layer {
    return this.#list.splice(this.index(i), 1)[0];
  }
  [Symbol.iterator](): Iterator<Layer> {
    return this.#list[Symbol.iterator]();
  }
  protected override childEntries(): [string, Layer][] {
    return this.#list.map((m, i): [string, Layer] => [String(i), m]);
  }
}

/**
 * PyTorch `nn.Sequential(a, b, c)`: modules applied in order; parameters named `0.weight`, ... Given one Map of
 * name → module (PyTorch's `Sequential(OrderedDict(...))`), the children go by those names (`conv1.weight`) and are
 * still reached by position (`at(0)`).
 * NOTE: the names are kept for the modules given at construction; append/insert/pop/set change the list, and the
 * modules without a name go by their position, as PyTorch's (whose `_modules` keys are then `str(len(self))`).
 */
export class Sequential extends IndexedContainer {
  static override className = 'Sequential';
  /** The names of a Map given to the constructor, by module (PyTorch's OrderedDict keys). */
  readonly #names = new Map<Layer, string>();
  constructor(...modules: Layer[] | [Map<string, Layer>]) {
    super();
    const [first] = modules as unknown[];
    if (modules.length === 1 && first instanceof Map) {
      this.extend(this.named(first as Map<unknown, unknown>));
      return;
    }
    modules.forEach((m: unknown, i) => {
      if (m instanceof Layer) return;
      const got = Array.isArray(m)
        ? 'an array (pass the modules as separate arguments: new tg.nn.Sequential(...modules))'
        : m instanceof Map
          ? 'a Map (a Map of name → module must be the only argument)'
          : whatIs(m);
      throw new ValueError(`Sequential: argument ${i} must be a Module, got ${got}`);
    });
    this.extend(modules as Layer[]);
  }
  /** A Map's modules in order, their names checked as add_module's and kept in #names. */
  private named(map: Map<unknown, unknown>): Layer[] {
    const out: Layer[] = [];
    for (const [k, m] of map) {
      if (typeof k !== 'string')
        throw new ValueError(`Sequential: module name should be a string, got ${describeValue(k)}`);
      if (k.includes('.')) throw new ValueError(`Sequential: module name can't contain ".", got: ${k}`);
      if (k === '') throw new ValueError(`Sequential: module name can't be empty string ""`);
      const layer = checkModule('Sequential', `the module '${k}'`, m);
      if (this.#names.has(layer))
        throw new ValueError(
          `Sequential: the module under '${k}' is also under '${this.#names.get(layer)}'; give each name its own module`,
        );
      this.#names.set(layer, k);
      out.push(layer);
    }
    return out;
  }
  protected override childEntries(): [string, Layer][] {
    const taken = new Set(this.list.flatMap((m) => this.#names.get(m) ?? []));
    const used = new Set<string>();
    // NOTE: a module without a name (appended later, or a named one appended again) goes by its position, or `<i>_`
    // when a name already is that
    return this.list.map((m, i): [string, Layer] => {
      const own = this.#names.get(m);
      const name = own !== undefined && !used.has(own) ? own : taken.has(String(i)) ? `${i}_` : String(i);
      used.add(name);
      return [name, m];
    });
  }
  forward(x: Tensor): Tensor {
    const l = this.list;
    let y = x;
    for (let i = 0; i < l.length; i++) y = l[i].apply(y) as Tensor;
    return y;
  }
}

/** PyTorch `nn.ModuleList(modules)`: modules held by position (`layers.0.weight`); forward is the owner's to write. */
export class ModuleList extends IndexedContainer {
  static override className = 'ModuleList';
  constructor(modules: Iterable<Layer> = []) {
    super();
    this.extend(modules);
  }
  forward(): never {
    throw new ValueError(
      `Module [ModuleList] is missing the required "forward" function (iterate it in yours)`,
    );
  }
}

/**
 * PyTorch `nn.ModuleDict(modules)`: modules by key, in insertion order (`blocks.conv.weight`), from a record, a Map or
 * [key, module] pairs.
 * NOTE: iterating it gives the keys, as PyTorch's; a record's integer-like keys come first (JavaScript's order):
 * pass a Map or pairs to keep another.
 */
export class ModuleDict extends Module {
  static override className = 'ModuleDict';
  readonly #map = new Map<string, Layer>();
  constructor(modules: Record<string, Layer> | Iterable<readonly [string, Layer]> = []) {
    super();
    this.update(modules);
  }
  private get who(): string {
    return `${this.name} (ModuleDict)`;
  }
  /** PyTorch `len(d)`. */
  get length(): number {
    return this.#map.size;
  }
  /** PyTorch `d[key]`; a missing key throws (`KeyError`). */
  get(key: string): Layer {
    const m = this.#map.get(key);
    if (m === undefined)
      throw new ValueError(
        `${this.who}.get: no module named ${JSON.stringify(key) ?? String(key)} (keys: ${[...this.#map.keys()].join(', ') || 'none'})`,
      );
    return m;
  }
  /** PyTorch `key in d`. */
  has(key: string): boolean {
    return this.#map.has(key);
  }
  /** PyTorch `d[key] = module` (add_module's name rules); returns this. */
  set(key: string, module: Layer): this {
    if (typeof key !== 'string')
      throw new ValueError(`${this.who}: module name should be a string, got ${describeValue(key)}`);
    if (key.includes('.')) throw new ValueError(`${this.who}: module name can't contain ".", got: ${key}`);
    if (key === '') throw new ValueError(`${this.who}: module name can't be empty string ""`);
    this.#map.set(key, checkModule(`${this.who}.set`, `the value for '${key}'`, module));
    return this;
  }
  /** PyTorch `pop(key)`: remove the module under key and return it; a missing key throws. */
  pop(key: string): Layer {
    const m = this.get(key);
    this.#map.delete(key);
    return m;
  }
  /** Remove every module. */
  clear(): void {
    this.#map.clear();
  }
  /** PyTorch `update(modules)`: set each [key, module] of a record, a Map or pairs; returns this. */
  update(modules: Record<string, Layer> | Iterable<readonly [string, Layer]>): this {
    if (modules === null || typeof modules !== 'object' || modules instanceof Layer)
      throw new ValueError(
        `${this.who}.update should be called with a record, a Map or [key, module] pairs, but got ${whatIs(modules)}`,
      );
    const iterable = typeof (modules as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function';
    const pairs: unknown[] = iterable ? [...(modules as Iterable<unknown>)] : Object.entries(modules);
    pairs.forEach((p, j) => {
      if (!Array.isArray(p) || p.length !== 2)
        throw new ValueError(
          `${this.who}: update sequence element #${j} should be a [key, module] pair, got ${whatIs(p)}${Array.isArray(p) ? ` of length ${p.length}` : ''}`,
        );
    });
    for (const [k, m] of pairs as [string, Layer][]) this.set(k, m);
    return this;
  }
  keys(): string[] {
    return [...this.#map.keys()];
  }
  values(): Layer[] {
    return [...this.#map.values()];
  }
  /** PyTorch `items()`. */
  entries(): [string, Layer][] {
    return [...this.#map.entries()];
  }
  [Symbol.iterator](): Iterator<string> {
    return this.#map.keys();
  }
  protected override childEntries(): [string, Layer][] {
    return this.entries();
  }
  forward(): never {
    throw new ValueError(
      `Module [ModuleDict] is missing the required "forward" function (call its modules in yours)`,
    );
  }
}
