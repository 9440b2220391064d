// `tg.toReferenceFn(layer)`: the source of a plain nested-loop TypeScript function with the layer's weights
// inlined — a hand-checkable oracle for porting a model elsewhere. Every size and padding is computed in the
// emitted code from the formulas, not copied from tapegrad.
import { ValueError } from '../core/errors.js';
import {
  ACTS,
  type Emitted,
  actExpr,
  emitConv,
  emitDense,
  emitElementwise,
  emitPool,
  ident,
} from './reference-emit.js';
import { Layer } from '../nn/layer.js';
import { Conv1D, Conv2D } from '../nn/keras/layers/conv.js';
import { Activation, Dense, Dropout, Flatten } from '../nn/keras/layers/core.js';
import {
  AveragePooling1D,
  AveragePooling2D,
  GlobalAveragePooling1D,
  GlobalAveragePooling2D,
  GlobalMaxPooling1D,
  GlobalMaxPooling2D,
  MaxPooling1D,
  MaxPooling2D,
} from '../nn/keras/layers/pooling.js';
import { Sequential } from '../nn/keras/model.js';
import * as torch from '../nn/torch/module.js';

const pairOf = (v: unknown, d: number): number[] =>
  v === undefined || v === null ? [d, d] : typeof v === 'number' ? [v, v] : [...(v as number[])];

function emitOne(l: Layer, inShape: number[]): Emitted {
  const name = ident(l.name);
  const title = `${l.className} '${l.name}'`;
  if (l instanceof Conv2D || l instanceof Conv1D) {
    if (!l.built) l.buildShape([1, ...inShape]);
    const r = l instanceof Conv2D ? 2 : 1;
    const a = l.args;
    const one = (v: unknown) => (typeof v === 'number' ? v : v === undefined ? 1 : (v as number[])[0]);
    return emitConv(
      {
        name,
        title,
        rank: r,
        channelsFirst: l.channelsFirst,
        torchLayout: false,
        kernel: l.kernel,
        bias: l.bias,
        k: l.kernelSizes(),
        stride: r === 2 ? pairOf(a.strides, 1) : [one(a.strides)],
        dilation: r === 2 ? pairOf(a.dilationRate, 1) : [one(a.dilationRate)],
        padding: a.padding ?? 'valid',
        groups: l.groups,
        act: actExpr(a.activation, title),
      },
      inShape,
    );
  }
  if (l instanceof torch.Conv2d || l instanceof torch.Conv1d) {
    const r = l instanceof torch.Conv2d ? 2 : 1;
    const o = l.opts as {
      stride?: unknown;
      padding?: unknown;
      dilation?: unknown;
      groups?: number;
      paddingMode?: 'zeros' | 'reflect' | 'replicate' | 'circular';
    };
    const k = l.weight.shape.slice(2);
    const pad = o.padding ?? 0;
    return emitConv(
      {
        name,
        title,
        rank: r,
        channelsFirst: true,
        torchLayout: true,
        kernel: l.weight,
        bias: l.bias,
        k,
        stride: r === 2 ? pairOf(o.stride, 1) : [(o.stride as number) ?? 1],
        dilation: r === 2 ? pairOf(o.dilation, 1) : [(o.dilation as number) ?? 1],
        padding:
          typeof pad === 'number' && r === 2
            ? [pad, pad]
            : Array.isArray(pad) && r === 2
              ? [
                  [pad[0], pad[0]],
                  [pad[1], pad[1]],
                ]
              : pad,
        groups: o.groups ?? 1,
        act: 'v',
        paddingMode: o.paddingMode ?? 'zeros',
      },
      inShape,
    );
  }
  if (l instanceof Dense) {
    if (!l.built) l.buildShape([1, ...inShape]);
    return emitDense(name, title, l.kernel, l.bias, false, actExpr(l.activation, title), inShape);
  }
  if (l instanceof torch.Linear) return emitDense(name, title, l.weight, l.bias, true, 'v', inShape);
  if (
    l instanceof MaxPooling2D ||
    l instanceof AveragePooling2D ||
    l instanceof MaxPooling1D ||
    l instanceof AveragePooling1D
  ) {
    const k = pairOf(l.args.poolSize ?? 2, 2);
    const s = pairOf(l.args.strides ?? l.args.poolSize ?? 2, 2);
    const r = l.rank === 2 ? 2 : 1;
    return emitPool(
      {
        name,
        title,
        rank: r,
        kind: l.kind,
        channelsFirst: l.args.dataFormat === 'channelsFirst',
        k: r === 2 ? k : [k[0]],
        s: r === 2 ? s : [s[0]],
        padding: l.args.padding === 'same' ? 'same' : 'valid',
      },
      inShape,
    );
  }
  if (l instanceof torch.MaxPool2d || l instanceof torch.AvgPool2d) {
    const pad = pairOf(l.padding, 0);
    const max = l instanceof torch.MaxPool2d;
    return emitPool(
      {
        name,
        title,
        rank: 2,
        kind: max ? 'max' : 'avg',
        channelsFirst: true,
        k: pairOf(l.kernelSize, 2),
        s: pairOf(l.stride ?? l.kernelSize, 2),
        padding: [
          [pad[0], pad[0]],
          [pad[1], pad[1]],
        ],
        dilation: max ? pairOf(l.dilation, 1) : [1, 1],
        ceilMode: l.ceilMode,
        countIncludePad: !max && l.countIncludePad,
        divisorOverride: max ? null : l.divisorOverride,
      },
      inShape,
    );
  }
  if (
    l instanceof GlobalAveragePooling2D ||
    l instanceof GlobalMaxPooling2D ||
    l instanceof GlobalAveragePooling1D ||
    l instanceof GlobalMaxPooling1D
  ) {
    const sp = inShape.slice(0, -1);
    const kind = l instanceof GlobalMaxPooling2D || l instanceof GlobalMaxPooling1D ? 'max' : 'avg';
    if (l.args.dataFormat === 'channelsFirst')
      throw new ValueError(`toReferenceFn: ${title}: channels-first global pooling is not supported`);
    const e = emitPool(
      {
        name,
        title,
        rank: sp.length === 2 ? 2 : 1,
        kind,
        channelsFirst: false,
        k: sp.length === 2 ? sp : [sp[0]],
        s: sp.length === 2 ? sp : [sp[0]],
        padding: 'valid',
      },
      inShape,
    );
    const c = inShape[inShape.length - 1];
    return { ...e, out: l.args.keepdims ? [...sp.map(() => 1), c] : [c] };
  }
  if (l instanceof Flatten || l instanceof torch.Flatten) {
    // the loops flatten every axis after the batch: a tg.nn.Flatten over fewer axes is refused
    if (l instanceof torch.Flatten && (l.startDim !== 1 || (l.endDim !== -1 && l.endDim !== inShape.length)))
      throw new ValueError(
        `toReferenceFn: ${title} flattens axes ${l.startDim}..${l.endDim}; the reference loops flatten every axis after the batch (startDim 1, endDim -1)`,
      );
    const first =
      l instanceof Flatten &&
      (l as unknown as { args: { dataFormat?: string } }).args?.dataFormat === 'channelsFirst' &&
      inShape.length > 1;
    const e = emitElementwise(
      name,
      `${title}: the row-major values, unchanged`,
      'v',
      inShape,
      first ? [1] : undefined,
    );
    return { ...e, out: [inShape.reduce((a, v) => a * v, 1)] };
  }
  if (l instanceof Activation)
    return emitElementwise(name, title, actExpr(l.args.activation, title), inShape);
  if (l instanceof torch.ReLU) return emitElementwise(name, title, ACTS.relu, inShape);
  if (l instanceof torch.Sigmoid) return emitElementwise(name, title, ACTS.sigmoid, inShape);
  if (l instanceof torch.Tanh) return emitElementwise(name, title, ACTS.tanh, inShape);
  if (l instanceof Dropout || l instanceof torch.Dropout || l instanceof torch.AlphaDropout)
    return emitElementwise(name, `${title} (inference: identity)`, 'v', inShape);
  throw new ValueError(
    `toReferenceFn: no reference loops for ${title} (supported: Dense, Conv1D/Conv2D, pooling, global pooling, Flatten, Activation, Dropout, ` +
      'tg.nn Linear/Conv1d/Conv2d/MaxPool2d/AvgPool2d/ReLU/Sigmoid/Tanh/Flatten/Dropout/AlphaDropout, and Sequential stacks of them)',
  );
}

export interface ReferenceFnOptions {
  /** Input shape without the batch axis (default: the layer's declared input shape, or Dense's kernel rows). */
  inputShape?: readonly number[];
  /** Name of the exported entry function (default 'reference'). */
  name?: string;
}

/**
 * Emit TypeScript source of `reference(x, batch)`: plain nested loops with the layer's weights inlined,
 * taking the input flat in row-major order (batch first) and returning the output the same way. Accepts a
 * layer, a tg.nn module, or a Keras/PyTorch-style Sequential of supported layers.
 */
export function toReferenceFn(layer: Layer, opts: ReferenceFnOptions = {}): string {
  if (!(layer instanceof Layer))
    throw new ValueError(`toReferenceFn: expected a layer or model, got ${typeof layer}`);
  const stack: Layer[] =
    layer instanceof Sequential ? layer.layers : layer instanceof torch.Sequential ? [...layer] : [layer];
  let shape = opts.inputShape
    ? [...opts.inputShape]
    : (layer.batchInputShape?.slice(1) ??
      stack[0].batchInputShape?.slice(1) ??
      (stack[0] instanceof Dense && stack[0].built
        ? [stack[0].kernel.shape[0]]
        : stack[0] instanceof torch.Linear
          ? [stack[0].inFeatures]
          : null));
  if (!shape || shape.some((d) => typeof d !== 'number' || d < 1))
    throw new ValueError(
      `toReferenceFn: ${layer.name} needs the input shape (without batch): pass { inputShape: [...] }`,
    );
  const inShape = [...shape] as number[];
  const parts: Emitted[] = [];
  for (const l of stack) {
    const e = emitOne(l, shape as number[]);
    parts.push(e);
    shape = e.out;
  }
  const entry = ident(opts.name ?? 'reference');
  const chain = parts.map((p) => p.fn).reduce((acc, fn) => `${fn}(${acc}, batch)`, 'x');
  return [
    `// Reference loops for ${layer.className} '${layer.name}', generated by tapegrad's toReferenceFn. Weights are inlined.`,
    `// Input: flat row-major [batch, ${inShape.join(', ')}]; output: flat row-major [batch, ${shape.join(', ')}].`,
    '',
    ...parts.map((p) => p.code),
    `/** ${layer.className} '${layer.name}' on a flat input of \`batch\` samples. */`,
    `export function ${entry}(x: ArrayLike<number>, batch: number): Float64Array {`,
    `  return ${chain};`,
    '}',
    '',
  ].join('\n');
}
