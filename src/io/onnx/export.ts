// tg.onnx.saveModel / exportModel: run the model once on a sample input while listening to every primitive, then
// write that trace as an ONNX graph (export-graph.ts) with the weights as named initializers.
// NOTE: the graph has the sample input's shapes, batch included: export with the batch size you will serve.
import { ValueError } from '../../core/errors.js';
import { noGrad, onOp, type OpEvent } from '../../core/tape.js';
import { Tensor, zeros } from '../../core/tensor.js';
import { Layer } from '../../nn/layer.js';
import { Model } from '../../nn/keras/model.js';
import { writeFileAtomic } from '../atomic.js';
import { GraphBuilder, emitEvent, typeOfDtype } from './export-graph.js';
import { encodeModel } from './proto.js';
import { OnnxModel } from './model.js';

export interface SaveOnnxOptions {
  /** ONNX opset of the default domain to write (13–17; default 17). */
  opset?: number;
  /** The sample input(s) the model is traced with (shapes are fixed to theirs). */
  sampleInput?: Tensor | Tensor[];
  /** Without a sample input: the batch size used with the model's declared input shape (default 1). */
  batchSize?: number;
  /** Graph name (default: the model's name). */
  name?: string;
}

const MIN_EXPORT_OPSET = 13;
const MAX_EXPORT_OPSET = 17;

function sampleFor(model: Layer, opts: SaveOnnxOptions): Tensor[] {
  if (opts.sampleInput) return Array.isArray(opts.sampleInput) ? opts.sampleInput : [opts.sampleInput];
  const bs = opts.batchSize ?? 1;
  if (model instanceof OnnxModel) return model.sampleInputs(bs);
  if (model instanceof Model) {
    model.ensureBuilt();
    const s = model.builtInputShape ?? model.batchInputShape;
    if (s) {
      const shapes = (Array.isArray(s[0]) ? s : [s]) as (number | null)[][];
      return shapes.map((sh) => zeros(sh.map((d, i) => d ?? (i === 0 ? bs : 1))));
    }
  }
  throw new ValueError(
    `onnx export: ${model.name} has no declared input shape; pass { sampleInput: tg.zeros([batch, ...]) } to trace it`,
  );
}

/** Trace `model` on its sample input and encode it as ONNX bytes. */
export function exportModel(model: Layer, opts: SaveOnnxOptions = {}): Uint8Array {
  if (!(model instanceof Layer)) throw new ValueError('onnx export: expected a tapegrad model or layer');
  const opset = opts.opset ?? MAX_EXPORT_OPSET;
  if (!(Number.isInteger(opset) && opset >= MIN_EXPORT_OPSET && opset <= MAX_EXPORT_OPSET))
    throw new ValueError(
      `onnx export: opset ${opset} is not supported (supported: ${MIN_EXPORT_OPSET}–${MAX_EXPORT_OPSET})`,
    );
  const xs = sampleFor(model, opts).map((x) => x.detach());
  const events: OpEvent[] = [];
  const wasTraining = model.training;
  let ys: Tensor[];
  const off = onOp((e) => events.push(e));
  try {
    model.train(false);
    const y = noGrad(() => model.apply(xs.length === 1 ? xs[0] : xs, { training: false }));
    ys = Array.isArray(y) ? (y as Tensor[]) : [y as Tensor];
  } finally {
    off();
    model.train(wasTraining);
  }
  // keep only the ops the outputs depend on
  const producers = new Map<Tensor, OpEvent>(events.map((e) => [e.out, e]));
  const needed = new Set<OpEvent>();
  const stack = [...ys];
  while (stack.length) {
    const ev = producers.get(stack.pop()!);
    if (!ev || needed.has(ev)) continue;
    needed.add(ev);
    stack.push(...ev.inputs);
  }
  const b = new GraphBuilder(opset);
  const io = (t: Tensor, name: string) => ({
    name,
    type: {
      tensorType: { elemType: typeOfDtype(t.dtype), shape: { dim: t.shape.map((d) => ({ dimValue: d })) } },
    },
  });
  const inputs = xs.map((x, i) => {
    const name = b.fresh(xs.length === 1 ? 'input' : `input_${i}`);
    b.bind(x, name);
    return io(x, name);
  });
  // an im2col read only by matmuls is emitted inside their Conv, not on its own
  const consumers = new Map<OpEvent, OpEvent[]>();
  for (const e of needed)
    for (const t of e.inputs) {
      const p = producers.get(t);
      if (p) consumers.set(p, [...(consumers.get(p) ?? []), e]);
    }
  const fusedAway = (e: OpEvent) =>
    e.op === 'im2col' &&
    (consumers.get(e) ?? []).every((c) => {
      const p = c.params as { transA?: boolean; transB?: boolean };
      return (
        c.op === 'matmul' &&
        c.inputs[0] === e.out &&
        c.inputs[1] !== e.out &&
        !p.transA &&
        !p.transB &&
        c.inputs[1].rank === 2
      );
    });
  for (const e of events) if (needed.has(e) && !fusedAway(e)) emitEvent(b, e, producers);
  const outputs = ys.map((y, i) => {
    const name = b.fresh(ys.length === 1 ? 'output' : `output_${i}`);
    b.node('Identity', [b.nameOf(y)], [], name);
    return io(y, name);
  });
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'tapegrad',
    producerVersion: '0.1.0',
    graph: {
      name: opts.name ?? model.name,
      node: b.nodes,
      initializer: b.initializers,
      input: inputs,
      output: outputs,
    },
  });
}

/**
 * Save a model as ONNX (traced from a sample input, weights included): Sequential, functional, Module, Keras-imported
 * and ONNX-imported models alike.
 * @example
 * await tg.onnx.saveModel(model, 'model.onnx', { sampleInput: tg.zeros([1, 28, 28, 1]) });
 */
export async function saveModel(model: Layer, path: string, opts: SaveOnnxOptions = {}): Promise<void> {
  writeFileAtomic(path, exportModel(model, opts));
}
