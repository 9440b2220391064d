// The carried states of stateful Keras RNNs in an export. Such a layer keeps its last states from one call to the
// next (Keras keeps them in variables), and an export traces the model several times (export.ts): each trace starts
// from the states the model held when the export was called, the export leaves them as it found them, and the states
// a trace reads become constants of the graph.
// NOTE: the carried states are frozen at their current values, as tf2onnx freezes a stateful Keras layer's state
// variables (ONNX graphs hold no state; keras2onnx's graphs start from zeros, which is what a model whose states were
// reset exports here): the exported graph computes the call the model would make next, from its current states, and
// every run of it starts there again. They are Constant nodes named `<layer>.state_<i>`, not initializers: tapegrad's
// ONNX import trains initializers, and a state is not a weight. Carried states fix the batch size (as Keras requires
// of a stateful layer). For streaming, the states as graph inputs and outputs (tf2onnx's advice) are a functional
// model that passes them as initial states and returns them (returnState).
import { ValueError, fmtShape } from '../../core/errors.js';
import type { OpEvent } from '../../core/tape.js';
import type { Tensor } from '../../core/tensor.js';
import { type Layer, layersUnder } from '../../nn/layer.js';
import { RNNBase } from '../../nn/keras/layers/rnn-base.js';
import { BatchExportError } from './export-batch.js';

/** Every stateful recurrent layer in `model` (itself included), once each. */
function statefulLayers(model: Layer): RNNBase[] {
  return layersUnder(model).filter((l): l is RNNBase => l instanceof RNNBase && l.stateful);
}

/** The carried states of a model's stateful RNNs, as they were when the export began. */
export class CarriedStates {
  private readonly saved = new Map<RNNBase, Tensor[] | null>();
  /** Layers whose carried states the exported trace read (set by `checkRead`). */
  private read: RNNBase[] = [];

  constructor(private readonly model: Layer) {
    for (const l of statefulLayers(model)) this.saved.set(l, l.states);
  }

  /** Put back the states held when the export began (a layer made since, by a first call, holds none). */
  restore(): void {
    for (const l of statefulLayers(this.model)) l.states = this.saved.get(l) ?? null;
  }

  /**
   * After the exported trace: each layer that holds states and ran must have read them. NOTE: tapegrad starts a
   * stateful layer from zeros at another batch size (Keras refuses it); an export would then silently drop the states.
   */
  checkRead(events: readonly OpEvent[]): void {
    const inputs = new Set<Tensor>(events.flatMap((e) => e.inputs));
    this.read = [];
    for (const [l, states] of this.saved) {
      if (!states) continue;
      if (states.some((s) => inputs.has(s))) this.read.push(l);
      else if (l.states !== states)
        throw new ValueError(
          `onnx export: layer '${l.name}' (${l.className}, stateful) carries states of shape ${fmtShape(states[0].shape)} (batch ${states[0].shape[0]}) but ran at another batch size, where it starts from zeros; export with a sample input of batch ${states[0].shape[0]} (its states are written into the graph), or call resetStates() first to export from zero states`,
        );
    }
  }

  /** True when the exported trace read carried states (they fix the batch size). */
  get fixBatch(): boolean {
    return this.read.length > 0;
  }

  /** The error for a symbolic batch asked of a model whose carried states fix it. */
  batchError(batchName: string): BatchExportError {
    const l = this.read[0];
    const s = this.saved.get(l)![0];
    return new BatchExportError(
      `onnx export (dynamicBatch '${batchName}'): layer '${l.name}' (${l.className}, stateful) carries states of shape ${fmtShape(s.shape)}, written into the graph as constants, so the batch size is fixed at ${s.shape[0]}; pass { dynamicBatch: false }, or call resetStates() first to export from zero states with a symbolic batch`,
    );
  }

  /** Names for the constants that hold carried states: `<layer>.state_<i>`. */
  names(): Map<Tensor, string> {
    const out = new Map<Tensor, string>();
    for (const l of this.read) this.saved.get(l)!.forEach((s, i) => out.set(s, `${l.name}.state_${i}`));
    return out;
  }
}
