// tg.onnx.saveModel / exportModel: run the model once on a sample input while listening to every primitive, then
// write that trace as an ONNX graph (export-graph.ts) with the weights as named initializers.
// NOTE: the batch axis is symbolic (dim_param 'batch') unless the model declares a fixed batch size or the caller
// passes { dynamicBatch: false }: export-batch.ts traces a second time at another batch size to find it.
import { ValueError } from '../../core/errors.js';
import { checkOptionsObject } from '../../core/options.js';
import { currentScope, noGrad, onOp, type OpEvent } from '../../core/tape.js';
import { Tensor, zeros } from '../../core/tensor.js';
import { Layer, layersUnder } from '../../nn/layer.js';
import { Model } from '../../nn/keras/model.js';
import { Functional } from '../../nn/keras/functional.js';
import { Module } from '../../nn/torch/base.js';
import type { DType } from '../../core/dtype.js';
import { writeFileAtomic } from '../atomic.js';
import { concat, slice } from '../../ops/movement/builders.js';
import { BatchTwin } from './export-batch.js';
import { GraphBuilder, emitEvent, typeOfDtype } from './export-graph.js';
import { CarriedStates } from './export-state.js';
import { LayerSnapshot } from './export-layer-state.js';
import { type ScopedTrace, checkInputIndependent, variedInputs } from './export-values.js';
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
  /**
   * Make axis 0 of the inputs (and the batch-sized axes of the outputs) symbolic, as PyTorch's `dynamic_axes`:
   * true (the name 'batch'), a name, or false to fix it at the sample's batch size. Default: true, unless the model
   * declares a fixed batch size (an ONNX graph with a numeric batch dim, a Keras model with a batch_size).
   */
  dynamicBatch?: boolean | string;
}

const OPTION_KEYS = ['opset', 'sampleInput', 'batchSize', 'name', 'dynamicBatch'];
const MIN_EXPORT_OPSET = 13;
const MAX_EXPORT_OPSET = 17;

function sampleFor(model: Layer, opts: SaveOnnxOptions): Tensor[] {
  const bs = opts.batchSize ?? 1;
  if (!(Number.isInteger(bs) && bs >= 1))
    throw new ValueError(`onnx export: batchSize must be a positive integer, got ${String(opts.batchSize)}`);
  if (opts.sampleInput) {
    const xs = Array.isArray(opts.sampleInput) ? opts.sampleInput : [opts.sampleInput];
    // NOTE: the sample's shape is the traced one; a batchSize that disagrees with it is refused, not ignored
    if (opts.batchSize !== undefined && xs.some((x) => x.shape[0] !== bs))
      throw new ValueError(
        `onnx export: batchSize ${bs} disagrees with the sample input's batch (shapes ${xs.map((x) => `[${x.shape}]`).join(', ')}); pass one of them`,
      );
    return xs;
  }
  if (model instanceof OnnxModel) return model.sampleInputs(bs);
  const fill = (sh: readonly (number | null)[], dtype?: DType) =>
    zeros(
      sh.map((d, i) => d ?? (i === 0 ? bs : 1)),
      dtype ? { dtype } : {},
    );
  // a functional model's Input layers (their shapes and dtypes: an int32 input of token ids stays int32)
  if (model instanceof Functional) return model.inputs.map((t) => fill(t.shape, t.dtype));
  if (model instanceof Model) {
    model.ensureBuilt();
    const s = model.builtInputShape ?? model.batchInputShape;
    if (s) {
      const shapes = (Array.isArray(s[0]) ? s : [s]) as (number | null)[][];
      return shapes.map((sh) => fill(sh));
    }
  }
  throw new ValueError(
    `onnx export: ${model.name} has no declared input shape; pass { sampleInput: tg.zeros([batch, ...]) } to trace it`,
  );
}

/** Trace `model` on its sample input and encode it as ONNX bytes. */
export function exportModel(model: Layer, opts: SaveOnnxOptions = {}): Uint8Array {
  if (!(model instanceof Layer)) throw new ValueError('onnx export: expected a tapegrad model or layer');
  checkOptionsObject('onnx export', opts, OPTION_KEYS);
  if (opts.dynamicBatch !== undefined && !['boolean', 'string'].includes(typeof opts.dynamicBatch))
    throw new ValueError(
      `onnx export: dynamicBatch must be true, false or a dim name, got ${JSON.stringify(opts.dynamicBatch)}`,
    );
  const opset = opts.opset ?? MAX_EXPORT_OPSET;
  if (!(Number.isInteger(opset) && opset >= MIN_EXPORT_OPSET && opset <= MAX_EXPORT_OPSET))
    throw new ValueError(
      `onnx export: opset ${opset} is not supported (supported: ${MIN_EXPORT_OPSET}–${MAX_EXPORT_OPSET})`,
    );
  // a user's layer whose calls change its properties keeps state: refused, and its properties put back
  const found = new LayerSnapshot(model);
  const xs = sampleFor(model, opts).map((x) => x.detach());
  // every trace starts from the stateful layers' states as they are now, and they are left so (export-state.ts)
  const carried = new CarriedStates(model);
  try {
    return exportTraced(model, xs, carried, opset, opts, found);
  } finally {
    carried.restore();
  }
}

function exportTraced(
  model: Layer,
  xs: Tensor[],
  carried: CarriedStates,
  opset: number,
  opts: SaveOnnxOptions,
  found: LayerSnapshot,
): Uint8Array {
  // NOTE: a first call builds an unbuilt model (weight initialisation is not part of any trace, which must all run
  // the same primitives: export-values.ts compares two)
  traceModel(model, xs, carried, false);
  const built = new LayerSnapshot(model);
  const { events, scopes, ys } = traceModel(model, xs, carried);
  // what the exported call changed is state the graph would hold as a constant (export-layer-state.ts)
  const changes = built.changes(new Set(events.flatMap((e) => e.inputs.map((t) => t.storage))));
  if (changes.length) {
    const err = built.error(changes[0]);
    found.restore(changes);
    throw err;
  }
  carried.checkRead(events);
  const needed = new Set(neededOf(events, ys));
  checkValues(model, xs, carried, { events, scopes }, needed);
  const dyn = opts.dynamicBatch ?? (!declaresFixedBatch(model) && !carried.fixBatch);
  const batchName = typeof dyn === 'string' ? dyn : 'batch';
  if (typeof dyn === 'string' && !dyn)
    throw new ValueError('onnx export: dynamicBatch must be a non-empty name');
  if (dyn && carried.fixBatch) throw carried.batchError(batchName);
  let twin: BatchTwin | null = null;
  let ys2: Tensor[] = [];
  let xs2: Tensor[] = [];
  if (dyn) {
    const n1 = xs[0]?.shape[0];
    if (n1 === undefined || xs.some((x) => x.rank === 0 || x.shape[0] !== n1))
      throw new ValueError(
        `onnx export (dynamicBatch): every input needs the same batch size on axis 0, got ${xs.map((x) => `[${x.shape}]`).join(', ')}; pass { dynamicBatch: false }`,
      );
    // the second trace: one more sample (the first one again)
    xs2 = noGrad(() =>
      xs.map((x) =>
        concat(
          [
            x,
            slice(
              x,
              x.shape.map(() => 0),
              [1, ...x.shape.slice(1)],
            ),
          ],
          0,
        ),
      ),
    );
    let second: { events: OpEvent[]; ys: Tensor[] };
    try {
      second = traceModel(model, xs2, carried);
    } catch (e) {
      throw new ValueError(
        `onnx export (dynamicBatch): ${model.name} does not run at batch ${n1 + 1} (${(e as Error).message}); export with { dynamicBatch: false } to fix the batch size at ${n1}`,
      );
    }
    twin = new BatchTwin(events, second.events, n1, n1 + 1, model.name);
    events.forEach((e, i) => scopes[i] && twin!.scopes.set(e, scopes[i]));
    ys2 = second.ys;
  }
  const producers = new Map<Tensor, OpEvent>(events.map((e) => [e.out, e]));
  const b = new GraphBuilder(opset);
  b.batch = twin;
  b.constNames = carried.names();
  /** A graph input or output; with a symbolic batch, dims that are k·batch in both traces get a dim_param. */
  const io = (t: Tensor, name: string, t2: Tensor | null) => {
    const dims = twin && t2 ? twin.dims(t.shape, t2.shape, `output '${name}' of shape`) : t.shape;
    return {
      name,
      type: {
        tensorType: {
          elemType: typeOfDtype(t.dtype),
          shape: {
            dim: dims.map((d) =>
              typeof d === 'number'
                ? { dimValue: d }
                : { dimParam: d.batchTimes === 1 ? batchName : `${batchName}*${d.batchTimes}` },
            ),
          },
        },
      },
    };
  };
  const inputs = xs.map((x, i) => {
    const name = b.fresh(xs.length === 1 ? 'input' : `input_${i}`);
    b.bind(x, name);
    if (i === 0) b.batchInput = name;
    // NOTE: by position, not through the traces (an input no op reads, as an identity model's, is in neither)
    return io(x, name, twin ? xs2[i] : null);
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
    return io(y, name, twin ? ys2[i] : null);
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
 * The ops the outputs depend on, in trace order (a first call's weight initialisation is not among them). A tensor
 * over a traced value's storage (`detach()`, as logSumExp's shift) depends on the op that made that value.
 */
function neededOf(events: OpEvent[], ys: Tensor[]): OpEvent[] {
  const producers = new Map<Tensor, OpEvent>(events.map((e) => [e.out, e]));
  const byStorage = new Map<object, OpEvent>(events.map((e) => [e.out.storage, e]));
  const needed = new Set<OpEvent>();
  const stack = [...ys];
  while (stack.length) {
    const t = stack.pop()!;
    const ev = producers.get(t) ?? byStorage.get(t.storage);
    if (!ev || needed.has(ev)) continue;
    needed.add(ev);
    stack.push(...ev.inputs);
  }
  return events.filter((e) => needed.has(e));
}

/**
 * Run the model once on `xs`, from the states it held when the export began, while recording every primitive (and
 * the layer scope it ran in).
 */
function traceModel(
  model: Layer,
  xs: Tensor[],
  carried: CarriedStates,
  listen = true,
): ScopedTrace & { ys: Tensor[] } {
  carried.restore();
  const events: OpEvent[] = [];
  const scopes: string[] = [];
  const wasTraining = model.training;
  // every tg.nn module's own mode, put back after model.train(wasTraining) set one mode on all (an MC-dropout child's
  // train mode in an eval model is kept); Keras-wing layers get the model's, as a Module's first call gives them
  const modes = layersUnder(model).map((l) => [l, l.training] as const);
  const off = listen
    ? onOp((e) => {
        events.push(e);
        scopes.push(currentScope());
      })
    : () => {};
  try {
    model.train(false);
    const y = noGrad(() => model.apply(xs.length === 1 ? xs[0] : xs, { training: false }));
    return { events, scopes, ys: flatOutputs(y, model.name) };
  } finally {
    off();
    model.train(wasTraining);
    for (const [l, on] of modes) if (l instanceof Module) l.training = on;
  }
}

/**
 * The graph outputs of a call, in order: nested arrays flattened, as torch.onnx.export flattens an output tuple
 * (tg.nn.LSTM's [output, [h_n, c_n]] is three outputs). Anything but tensors is refused by name.
 */
function flatOutputs(y: unknown, model: string): Tensor[] {
  const out: Tensor[] = [];
  const walk = (v: unknown, at: string): void => {
    if (v instanceof Tensor) out.push(v);
    else if (Array.isArray(v)) v.forEach((w, i) => walk(w, `${at}[${i}]`));
    else
      throw new ValueError(
        `onnx export: ${model} returned ${v === null ? 'null' : typeof v === 'object' ? (v.constructor?.name ?? 'an object') : typeof v} at output${at}; an ONNX graph's outputs are tensors (return a tensor or an array of them)`,
      );
  };
  walk(y, '');
  return out;
}

/**
 * Trace the model again on inputs with other values and refuse the export if a constant it reads, an op or an op's
 * parameters change with them (export-values.ts). NOTE: inputs the model cannot run on (an index past a vocabulary)
 * leave the check out: the exported trace is then the only one there is.
 */
function checkValues(
  model: Layer,
  xs: Tensor[],
  carried: CarriedStates,
  trace: ScopedTrace,
  needed: Set<OpEvent>,
): void {
  const other = variedInputs(xs);
  if (!other) return;
  let second: ScopedTrace;
  try {
    second = traceModel(model, other, carried);
  } catch {
    return;
  }
  checkInputIndependent(trace, second, needed, xs, model.name);
}

/** True when the model itself fixes the batch size (its declared input shape has a number on axis 0). */
function declaresFixedBatch(model: Layer): boolean {
  if (model instanceof OnnxModel) return model.graphInputs.some((i) => typeof i.shape?.[0] === 'number');
  if (model instanceof Functional) return model.inputs.some((t) => typeof t.shape[0] === 'number');
  const s = model instanceof Model ? (model.batchInputShape ?? null) : null;
  if (!s) return false;
  const shapes = (Array.isArray(s[0]) ? s : [s]) as (number | null)[][];
  return shapes.some((sh) => typeof sh[0] === 'number');
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
