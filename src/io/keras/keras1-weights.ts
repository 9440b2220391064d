// Keras 1 weight lists of a model built from a Keras 1 config: `getWeights()` / `setWeights()` in the layout
// Keras 1's `model.get_weights()` used (per-gate LSTM/GRU arrays, 4-D Conv1D kernels, "th" and Deconvolution2D
// kernels), converted exactly to and from the fused Keras 2 layout the layers compute with.
import { ShapeError, ValueError } from '../../core/errors.js';
import { Tensor, writeValues } from '../../core/tensor.js';
import type { Layer } from '../../nn/layer.js';
import { Model, Sequential } from '../../nn/keras/model.js';
import { InputLayer } from '../../nn/keras/layers/input.js';
import { Bidirectional, TimeDistributed } from '../../nn/keras/layers/wrappers.js';
import { isJsonObject } from '../safe-json.js';
import type { JsonObject } from './cfg.js';
import type { KerasContext } from './context.js';
import { KerasFunctional, fileWeightViews } from './models.js';
import { type NdWeight, concatLast, flipNd, splitLast, transposeNd } from './ndarray.js';

/** A layer's weights as Keras 1 listed them: read them out, or write a Keras 1 list back. */
interface Keras1Layout {
  read(): NdWeight[];
  write(values: NdWeight[]): void;
  /** True when the Keras 1 list is the layer's own list (then each array keeps its own trainable flag). */
  identity?: boolean;
}

type Specs = Map<Layer, { className: string; config: JsonObject }>;

const nd = (name: string, t: Tensor): NdWeight => ({
  name,
  shape: [...t.shape],
  data: t.data,
  notes: [],
  from: [],
});
const fmt = (s: readonly number[]): string => `(${s.join(', ')}${s.length === 1 ? ',' : ''})`;

/** A layout given by a pure conversion of the layer's own (Keras 2) weight list, and its exact inverse. */
function mapped(
  layer: Layer,
  toKeras1: (ws: NdWeight[]) => NdWeight[],
  fromKeras1: (vs: NdWeight[]) => NdWeight[],
): Keras1Layout {
  const own = () => layer.namedWeights().map(([n, w]) => ({ n, w }));
  return {
    read: () => toKeras1(own().map(({ n, w }) => nd(n, w.value))),
    write: (values) => {
      const ws = own();
      fromKeras1(values).forEach((v, i) => writeValues(ws[i].w.value, v.data));
    },
  };
}

/**
 * Keras 1 LSTM lists W_g, U_g, b_g per gate in the order i, c, f, o (its `trainable_weights`); the fused Keras 2
 * kernel concatenates the gates as i, f, c, o. GRU: z, r, h in both. (`consume_less='gpu'` stored the fused form.)
 */
function gateLayout(layer: Layer, keras1Order: string[], fusedOrder: string[]): Keras1Layout {
  const kinds = ['W', 'U', 'b'];
  return mapped(
    layer,
    (ws) => {
      const parts = ws.map((w) => splitLast(w, fusedOrder.length));
      return keras1Order.flatMap((g) =>
        kinds.map((k, i) => ({ ...parts[i][fusedOrder.indexOf(g)], name: `${layer.name}_${k}_${g}` })),
      );
    },
    (vs) =>
      kinds.map((k, i) =>
        concatLast(
          fusedOrder.map((g) => vs[keras1Order.indexOf(g) * 3 + i]),
          k,
          '',
        ),
      ),
  );
}

/** A conv layout: the kernel (weight 0) moved between Keras 1's and Keras 2's layouts, the bias unchanged. */
function kernelLayout(
  layer: Layer,
  toKeras1: (k: NdWeight) => NdWeight,
  fromKeras1: (k: NdWeight) => NdWeight,
): Keras1Layout {
  return mapped(
    layer,
    (ws) => [toKeras1(ws[0]), ...ws.slice(1)],
    (vs) => [fromKeras1(vs[0]), ...vs.slice(1)],
  );
}

/** The Keras 1 layout of one (non-model) layer, from its canonical (Keras 2) class name and config. */
function layoutOf(layer: Layer, cls: string, cfg: JsonObject, ctx: KerasContext): Keras1Layout {
  const inner = isJsonObject(cfg.layer) ? cfg.layer : {};
  const innerCls = String(inner.class_name ?? '');
  const innerCfg = isJsonObject(inner.config) ? inner.config : {};
  if (layer instanceof Bidirectional) {
    // Keras 1 Bidirectional.get_weights: forward_layer.get_weights() + backward_layer.get_weights()
    const f = layoutOf(layer.forwardLayer, innerCls, innerCfg, ctx);
    const b = layoutOf(layer.backwardLayer, innerCls, innerCfg, ctx);
    return {
      read: () => [...f.read(), ...b.read()],
      write: (vs) => {
        const n = f.read().length;
        f.write(vs.slice(0, n));
        b.write(vs.slice(n));
      },
    };
  }
  if (layer instanceof TimeDistributed) return layoutOf(layer.layer, innerCls, innerCfg, ctx);
  const ws = layer.weights;
  const fused = ws.length === 3 && ws[2].value.shape.length === 1 && cfg.implementation !== 2;
  if (cls === 'LSTM' && fused) return gateLayout(layer, ['i', 'c', 'f', 'o'], ['i', 'f', 'c', 'o']);
  if (cls === 'GRU' && fused) return gateLayout(layer, ['z', 'r', 'h'], ['z', 'r', 'h']);
  const rank = ws[0]?.value.shape.length ?? 0;
  const first = cfg.data_format === 'channels_first';
  // NOTE: as file loading does, a Theano-backend model's kernels are true convolutions: flipped spatially.
  const theano = ctx.backend === 'theano' && ['Conv1D', 'Conv2D', 'Conv3D', 'Conv2DTranspose'].includes(cls);
  const flip = (k: NdWeight): NdWeight => (theano ? flipNd(k, [...Array(rank - 2).keys()], '') : k);
  // Keras 1.2 Convolution1D kernel: (length, 1, input_dim, nb_filter); Keras 2: (length, input_dim, filters)
  if (cls === 'Conv1D' && rank === 3)
    return kernelLayout(
      layer,
      (k) => {
        const f = flip(k);
        return { ...f, shape: [f.shape[0], 1, f.shape[1], f.shape[2]] };
      },
      (k) => flip({ ...k, shape: [k.shape[0], k.shape[2], k.shape[3]] }),
    );
  // Keras 1 "th" Convolution2D/3D: (nb_filter, stack_size, rows, cols[, depth]); Keras 2: (rows, cols, in, out)
  if ((cls === 'Conv2D' && rank === 4) || (cls === 'Conv3D' && rank === 5)) {
    const to = rank === 4 ? [3, 2, 0, 1] : [4, 3, 0, 1, 2];
    const from = rank === 4 ? [2, 3, 1, 0] : [2, 3, 4, 1, 0];
    if (!first && !theano) return sameLayout(layer);
    return kernelLayout(
      layer,
      (k) => (first ? transposeNd(flip(k), to, '') : flip(k)),
      (k) => flip(first ? transposeNd(k, from, '') : k),
    );
  }
  // Keras 1 "th" SeparableConvolution2D: depthwise (dm, in, rows, cols), pointwise (filters, in·dm, 1, 1)
  if (cls === 'SeparableConv2D' && rank === 4 && first) {
    const t = (perm: number[]) => (k: NdWeight) => transposeNd(k, perm, '');
    return mapped(
      layer,
      (ws) => [...ws.slice(0, 2).map(t([3, 2, 0, 1])), ...ws.slice(2)],
      (vs) => [...vs.slice(0, 2).map(t([2, 3, 1, 0])), ...vs.slice(2)],
    );
  }
  // Keras 1 Deconvolution2D is a Convolution2D: kernel "tf" (rows, cols, input_dim, nb_filter), "th" (nb_filter,
  // input_dim, rows, cols); its deconv2d transposed it to TensorFlow's (rows, cols, nb_filter, input_dim), the
  // Keras 2 Conv2DTranspose layout. Both permutations are their own inverse.
  if (cls === 'Conv2DTranspose' && rank === 4) {
    const perm = first ? [2, 3, 0, 1] : [0, 1, 3, 2];
    return kernelLayout(
      layer,
      (k) => transposeNd(flip(k), perm, ''),
      (k) => flip(transposeNd(k, perm, '')),
    );
  }
  return sameLayout(layer);
}

const sameLayout = (layer: Layer): Keras1Layout => ({
  ...mapped(
    layer,
    (x) => x,
    (x) => x,
  ),
  identity: true,
});

/** One array of a model's Keras 1 list: the layer it belongs to and whether Keras 1 counted it trainable. */
interface Entry {
  layer: Layer;
  /** Position in the layer's own Keras 1 list. */
  index: number;
  trainable: boolean;
}

/** The model's layers in Keras order (config order for functional models), without input layers. */
function layersOf(m: Model): Layer[] {
  const all =
    m instanceof KerasFunctional && m.layerOrder.length ? m.layerOrder : m.children().map(([, l]) => l);
  return all.filter((l) => !(l instanceof InputLayer));
}

/**
 * Keras 1 order of a model's arrays. A Sequential's `get_weights()` goes layer by layer (a nested model gives its
 * own `get_weights()`); a functional Container takes each layer's `weights`, which for a nested model are all its
 * trainable arrays then all its non-trainable ones (`asWeights`).
 */
function entriesOf(m: Model, layouts: Map<Layer, Keras1Layout>, asWeights: boolean): Entry[] {
  const parts = layersOf(m).flatMap((l): Entry[] => {
    if (l instanceof Model) return entriesOf(l, layouts, !(m instanceof Sequential));
    const lay = layouts.get(l);
    if (!lay) return [];
    // NOTE: the arrays Keras 1 split or reshaped (recurrent gates, conv kernels) were all trainable.
    const own = l.weights;
    return lay.read().map((_, index) => ({
      layer: l,
      index,
      trainable: l.trainable && (!lay.identity || own[index].trainable),
    }));
  });
  return asWeights ? [...parts.filter((e) => e.trainable), ...parts.filter((e) => !e.trainable)] : parts;
}

/** The model's Keras 1 list with each array's owner (arrays of one layer stay in the layer's own order). */
function readAll(m: Model, layouts: Map<Layer, Keras1Layout>): { entries: Entry[]; arrays: NdWeight[] } {
  const entries = entriesOf(m, layouts, false);
  const lists = new Map<Layer, NdWeight[]>();
  const arrays = entries.map((e) => {
    if (!lists.has(e.layer)) lists.set(e.layer, layouts.get(e.layer)!.read());
    return lists.get(e.layer)![e.index];
  });
  return { entries, arrays };
}

/**
 * Give a model built from a Keras 1 config (and its nested models) Keras 1's `get_weights` / `set_weights`
 * lists. Layers whose Keras 1 arrays equal the Keras 2 ones (Dense, Embedding, BatchNormalization, ...) pass
 * through unchanged.
 */
export function installKeras1Weights(model: Model, specs: Specs, ctx: KerasContext): void {
  // NOTE: layouts depend on the built weights' shapes, so they are worked out at each call (a model built from a
  // config without an input shape builds on its first call).
  const layouts = (): Map<Layer, Keras1Layout> => {
    const out = new Map<Layer, Keras1Layout>();
    for (const [l, s] of specs)
      if (!(l instanceof Model)) out.set(l, layoutOf(l, s.className, s.config, ctx));
    return out;
  };
  const install = (m: Model): void => {
    fileWeightViews.set(m, {
      get: () => readAll(m, layouts()).arrays.map((a) => new Tensor(a.data.slice(), a.shape)),
      set: (values) => {
        if (!m.isBuilt()) m.assertBuilt('set');
        setAll(m, layouts(), values);
      },
    });
    for (const l of layersOf(m)) if (l instanceof Model) install(l);
  };
  install(model);
}

function setAll(m: Model, layouts: Map<Layer, Keras1Layout>, values: Tensor[]): void {
  const { entries, arrays } = readAll(m, layouts);
  if (values.length !== arrays.length)
    throw new ValueError(
      `${m.name}.setWeights: this model was built from a Keras 1 config and takes Keras 1's list of ${arrays.length} arrays (${arrays.map((a) => a.name).join(', ')}), got ${values.length}`,
    );
  const perLayer = new Map<Layer, NdWeight[]>();
  values.forEach((v, i) => {
    const want = arrays[i];
    if (!(v instanceof Tensor))
      throw new ValueError(`${m.name}.setWeights: array ${i} ('${want.name}') is not a Tensor`);
    if (v.shape.length !== want.shape.length || v.shape.some((d, j) => d !== want.shape[j]))
      throw new ShapeError(
        `${m.name}.setWeights: array ${i} ('${want.name}' of layer '${entries[i].layer.name}', Keras 1 layout) must have shape ${fmt(want.shape)}, got ${fmt(v.shape)}`,
      );
    const list = perLayer.get(entries[i].layer) ?? [];
    list[entries[i].index] = { ...want, data: v.data };
    perLayer.set(entries[i].layer, list);
  });
  // NOTE: every shape is checked before anything is written, so a bad list leaves the model unchanged.
  for (const [l, list] of perLayer) layouts.get(l)!.write(list);
}
