// State that a user's layer keeps from one call to the next (a running counter, a stored previous input or output),
// outside the stateful RNNs that export-state.ts carries. An ONNX graph is pure: tracing such a layer writes the
// state it held during the trace as a constant (a Constant node, a Mul by the count), so the file would repeat one
// call forever, and the export's own traces would have moved the state on. Such a layer is refused by name.
// NOTE: refused rather than exported with the state as extra graph inputs and outputs: a state held as a plain number
// enters the trace as an op parameter, not a tensor a graph input could replace. For streaming, pass the state as an
// input and return it (as returnState does for RNNs).
// Detection: every own property of every layer (the model and its children) is recorded after the export's first
// call (which builds the model and fills caches made once) and compared after the exported trace — by identity, the
// items of an array, map, set or plain object, the numbers of a tensor or typed array (a hash beyond 65,536 of them);
// what a call changes is state, unless it only put back what the last call held (a fresh array of the same shape, a
// tensor of the same numbers the call did not read). On refusal the changed properties are put back as the export found them.
import { ValueError } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';
import { Layer, layersUnder } from '../../nn/layer.js';
import { RNNBase } from '../../nn/keras/layers/rnn-base.js';

/** A layer that keeps state between calls, which an ONNX graph cannot hold. */
export class LayerStateExportError extends ValueError {}

/** A property a call changed: its layer, its name, and how (its values before and after, as text). */
export type Change = { layer: Layer; key: string; how: string };

type Numbers = Float32Array | Float64Array | Int32Array | Uint8Array;
/** The values of a typed array or a tensor: a copy up to this many, a hash beyond (no second copy of a big weight). */
const COPY_LIMIT = 1 << 16;
type Values = { storage: object | null; copy: Numbers | null; hash: number };

function hashOf(a: Numbers): number {
  // 32-bit words where the bytes allow it (every tensor's), else bytes
  const w =
    a.byteOffset % 4 === 0 && a.byteLength % 4 === 0
      ? new Int32Array(a.buffer, a.byteOffset, a.byteLength / 4)
      : new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i], 16777619);
  return h;
}
const numbersOf = (v: unknown): Numbers | null =>
  v instanceof Tensor
    ? v.released
      ? null
      : (v.raw as Numbers)
    : ArrayBuffer.isView(v) && !(v instanceof DataView)
      ? (v as Numbers)
      : null;
function valuesOf(v: unknown): Values | null {
  const a = numbersOf(v);
  if (!a) return null;
  const storage = v instanceof Tensor ? v.storage : null;
  return a.length <= COPY_LIMIT
    ? { storage, copy: a.slice() as Numbers, hash: 0 }
    : { storage, copy: null, hash: hashOf(a) };
}
const sameValues = (was: Values | null, v: unknown): boolean => {
  const now = numbersOf(v);
  if (!was || !now) return !was && !now;
  if (v instanceof Tensor && v.storage !== was.storage) return false;
  if (!was.copy) return hashOf(now) === was.hash;
  return was.copy.length === now.length && was.copy.every((x, i) => Object.is(x, now[i]));
};

/**
 * A property's value as comparable data: the value itself (by identity), the items of an array, map, set or plain
 * object (one level deep), and the numbers of a tensor or typed array (changed in place, or by `t.data = ...`).
 */
type Recorded = { value: unknown; items: unknown[] | null; values: Values | null };

/** A plain object (`{ count: 0 }`), whose own entries are compared like an array's items. */
const isPlain = (v: unknown): v is Record<string, unknown> =>
  v !== null &&
  typeof v === 'object' &&
  (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

const itemsOf = (v: unknown): unknown[] | null =>
  Array.isArray(v)
    ? [...(v as unknown[])]
    : v instanceof Map
      ? [...v.entries()].flat()
      : v instanceof Set
        ? [...v]
        : isPlain(v)
          ? Object.entries(v).flat()
          : null;

const record = (v: unknown): Recorded => ({ value: v, items: itemsOf(v), values: valuesOf(v) });

const same = (a: Recorded, b: unknown): boolean => {
  if (!Object.is(a.value, b)) return false;
  if (!sameValues(a.values, b)) return false;
  const now = itemsOf(b);
  if (!a.items || !now) return a.items === now;
  return a.items.length === now.length && a.items.every((x, i) => Object.is(x, now[i]));
};

/** Containers compared by contents this deep (a shape in a plain object in an array). */
const EQUAL_DEPTH = 4;
/**
 * Two values with the same contents: primitives, tensors as `sameTensor` says, and arrays, maps, sets and plain
 * objects of them.
 */
function equalData(a: unknown, b: unknown, read: ReadonlySet<object>, depth = EQUAL_DEPTH): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Tensor && b instanceof Tensor) return sameTensor(a, valuesOf(a), b, read);
  if (depth === 0 || a instanceof Tensor || b instanceof Tensor) return false;
  const x = itemsOf(a);
  const y = itemsOf(b);
  if (!x || !y || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b) || x.length !== y.length)
    return false;
  return x.every((v, i) => equalData(v, y[i], read, depth - 1));
}

/**
 * The numbers of a replaced tensor against the new one's, to a float32 rounding: the export listens to its trace, and
 * a listened call may run unfused kernels (an ulp apart from the first call's).
 * NOTE: past COPY_LIMIT only a hash was kept, which an ulp changes: an unread tensor that large is taken as no state.
 */
function closeValues(was: Values | null, now: Numbers): boolean {
  if (!was) return false;
  if (!was.copy) return true;
  const a = was.copy;
  if (a.length !== now.length) return false;
  const exact = !(a instanceof Float32Array || a instanceof Float64Array);
  for (let i = 0; i < a.length; i++)
    if (exact ? a[i] !== now[i] : !(Math.abs(a[i] - now[i]) <= 1e-6 + 1e-5 * Math.abs(a[i]))) return false;
  return true;
}

/**
 * A tensor replaced by `now` is no state when the traced call did not read it and it holds what `now` holds (same
 * shape, dtype and numbers to a rounding), or was released since (not kept with `tg.keep`: no call can read it).
 */
function sameTensor(old: Tensor, was: Values | null, now: Tensor, read: ReadonlySet<object>): boolean {
  if (read.has(old.storage)) return false;
  if (old.released) return true;
  return (
    old.dtype === now.dtype &&
    old.shape.length === now.shape.length &&
    old.shape.every((d, i) => d === now.shape[i]) &&
    !now.released &&
    closeValues(was, now.raw as Numbers)
  );
}

/**
 * A property given a new value on every call that holds what the last call held — not state: an array or plain
 * object of the same contents (a memoized input shape), a tensor as `sameTensor` says (a stored attention map, a
 * mask rebuilt each call). A tensor the trace read (a stored previous input) stays state even when the export's
 * repeated sample makes its numbers equal.
 */
function sameContents(was: Recorded, now: unknown, read: ReadonlySet<object>): boolean {
  if (was.value instanceof Tensor && now instanceof Tensor)
    return sameTensor(was.value, was.values, now, read);
  if (was.values || !was.items || !itemsOf(now)) return false;
  return (
    Object.getPrototypeOf(was.value) === Object.getPrototypeOf(now) &&
    equalData(was.items, itemsOf(now), read)
  );
}

/** Short text of a value for the error. */
const show = (v: unknown): string =>
  v instanceof Tensor
    ? `a ${v.dtype} tensor [${v.shape.join(',')}]`
    : Array.isArray(v)
      ? `an array of ${v.length}`
      : v === null || typeof v !== 'object'
        ? String(v)
        : (v.constructor?.name ?? 'an object');

/** How a recorded property changed, as text. */
function howChanged(was: Recorded | undefined, now: unknown): string {
  if (!was) return `added as ${show(now)}`;
  if (Array.isArray(was.value) && was.items) return `an array of ${was.items.length} → ${show(now)}`;
  if (!Object.is(was.value, now)) return `${show(was.value)} → ${show(now)}`;
  return `${show(now)} whose ${was.values ? 'values' : 'entries'} changed in place`;
}

/** The own properties of every layer of a model at one moment. */
export class LayerSnapshot {
  private readonly props = new Map<Layer, Map<string, Recorded>>();
  constructor(private readonly model: Layer) {
    for (const l of layersUnder(model)) {
      const m = new Map<string, Recorded>();
      for (const k of Object.keys(l)) {
        const v = (l as unknown as Record<string, unknown>)[k];
        // functions are the layer's bound methods, made once
        if (typeof v !== 'function') m.set(k, record(v));
      }
      this.props.set(l, m);
    }
  }

  /**
   * Every property a call changed since this snapshot (a layer made since is not compared: a first call's lazy
   * sub-layer). A stateful RNN's `states` are export-state.ts's concern. `read`: the storages of the tensors the
   * traced call read (a replaced tensor the call never read, holding the same numbers, is no state).
   */
  changes(read: ReadonlySet<object> = new Set()): Change[] {
    const out: Change[] = [];
    for (const l of layersUnder(this.model)) {
      const m = this.props.get(l);
      if (!m) continue;
      const rec = l as unknown as Record<string, unknown>;
      const keys = new Set([...m.keys(), ...Object.keys(l).filter((k) => typeof rec[k] !== 'function')]);
      for (const key of keys) {
        if (key === 'states' && l instanceof RNNBase && l.stateful) continue;
        const was = m.get(key);
        if (was ? !same(was, rec[key]) && !sameContents(was, rec[key], read) : rec[key] !== undefined)
          out.push({ layer: l, key, how: howChanged(was, rec[key]) });
      }
    }
    return out;
  }

  /** Put these properties back as this snapshot holds them (contents as they were; absent ones deleted). */
  restore(changes: readonly Change[]): void {
    for (const { layer, key } of changes) {
      const m = this.props.get(layer);
      if (!m) continue;
      const rec = layer as unknown as Record<string, unknown>;
      const was = m.get(key);
      if (!was) {
        delete rec[key];
        continue;
      }
      const v = was.value;
      if (Array.isArray(v)) v.splice(0, v.length, ...was.items!);
      else if (v instanceof Map) {
        v.clear();
        for (let i = 0; i < was.items!.length; i += 2) v.set(was.items![i], was.items![i + 1]);
      } else if (v instanceof Set) {
        v.clear();
        for (const x of was.items!) v.add(x);
      } else if (isPlain(v)) {
        for (const k of Object.keys(v)) delete v[k];
        for (let i = 0; i < was.items!.length; i += 2) v[was.items![i] as string] = was.items![i + 1];
      } else if (v instanceof Tensor && was.values?.copy) v.data = was.values.copy.slice() as Float32Array;
      else if (ArrayBuffer.isView(v) && was.values?.copy) (v as Numbers).set(was.values.copy as never);
      rec[key] = v;
    }
  }

  /** The refusal for a layer whose call changed one of its properties. */
  error(c: Change): LayerStateExportError {
    return new LayerStateExportError(
      `onnx export: layer '${c.layer.name}' (${c.layer.className}) keeps state between calls: a call changed its property '${c.key}' (${c.how}). An ONNX graph holds no state, so the traced graph would repeat one call with that state written in as a constant; ${this.model.name} cannot be exported to ONNX. Pass the state as a model input and return it as an output instead (stateful Keras RNNs are exported with their states frozen)`,
    );
  }
}
