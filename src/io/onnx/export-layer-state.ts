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
// what a call changes is state. On refusal the changed properties are put back as the export found them.
import { ValueError } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';
import { Layer } from '../../nn/layer.js';
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

/** Every layer of `model` (itself included), once each. */
function layersOf(model: Layer): Layer[] {
  const seen = new Set<Layer>();
  const walk = (l: Layer) => {
    if (seen.has(l)) return;
    seen.add(l);
    for (const [, c] of l.children()) walk(c);
  };
  walk(model);
  return [...seen];
}

/** The own properties of every layer of a model at one moment. */
export class LayerSnapshot {
  private readonly props = new Map<Layer, Map<string, Recorded>>();
  constructor(private readonly model: Layer) {
    for (const l of layersOf(model)) {
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
   * sub-layer). A stateful RNN's `states` are export-state.ts's concern.
   */
  changes(): Change[] {
    const out: Change[] = [];
    for (const l of layersOf(this.model)) {
      const m = this.props.get(l);
      if (!m) continue;
      const rec = l as unknown as Record<string, unknown>;
      const keys = new Set([...m.keys(), ...Object.keys(l).filter((k) => typeof rec[k] !== 'function')]);
      for (const key of keys) {
        if (key === 'states' && l instanceof RNNBase && l.stateful) continue;
        const was = m.get(key);
        if (was ? !same(was, rec[key]) : rec[key] !== undefined)
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
