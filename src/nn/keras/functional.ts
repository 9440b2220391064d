// Functional models (TF.js `tf.model({inputs, outputs})`): a DAG of layer applications on symbolic
// tensors, run in topological order. Shared layers, several inputs/outputs and nested models work.
import { ValueError, ShapeError, fmtShape } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { type CallKwargs, Layer, type LayerArgs, type LayerIO, type ShapeWithBatch } from '../layer.js';
import { Model } from './model.js';
import type { SummaryRow } from './summary.js';
import { type GraphNode, SymbolicTensor } from '../symbolic.js';
import { InputLayer } from './layers/input.js';
import { applyMasked } from './mask.js';

export class Functional extends Model {
  static override className = 'Functional';
  static override options: readonly string[] = ['inputs', 'outputs'];
  /** Carries masks from layer to layer (mask.ts), as Sequential does. */
  static handlesMasks = true;
  readonly inputs: SymbolicTensor[];
  readonly outputs: SymbolicTensor[];
  /** Nodes in topological order (inputs first). */
  readonly nodes: GraphNode[];
  /** Unique layers in first-use order (Keras `model.layers`). */
  readonly layers: Layer[];
  private readonly singleOutput: boolean;

  constructor(
    args: LayerArgs & {
      inputs: SymbolicTensor | SymbolicTensor[];
      outputs: SymbolicTensor | SymbolicTensor[];
    },
  ) {
    super(args);
    this.inputs = Array.isArray(args.inputs) ? args.inputs : [args.inputs];
    this.outputs = Array.isArray(args.outputs) ? args.outputs : [args.outputs];
    this.singleOutput = !Array.isArray(args.outputs);
    for (const t of [...this.inputs, ...this.outputs])
      if (!(t instanceof SymbolicTensor))
        throw new ValueError(
          `${this.name}: inputs and outputs must be symbolic tensors from tg.input / layer.apply`,
        );
    this.inputs.forEach((t, i) => {
      if (!(t.node?.layer instanceof InputLayer))
        throw new ValueError(`${this.name}: input ${i} is not a tg.input(...) tensor`);
    });
    this.nodes = topoNodes(this.outputs, this.inputs, this.name);
    this.layers = kerasLayerOrder(this.nodes, this.outputs, this.inputs);
    // Keras: "All layer names should be unique" (weights are addressed by layer name).
    const seen = new Set<string>();
    for (const l of this.layers) {
      if (seen.has(l.name))
        throw new ValueError(
          `${this.name}: two different layers are named '${l.name}'; layer names in a model must be unique`,
        );
      seen.add(l.name);
    }
    this.built = true;
  }

  override children(): [string, Layer][] {
    return this.layers.map((l) => [l.name, l]);
  }
  protected override declaredInputShape(): ShapeWithBatch[] {
    return this.inputs.map((t) => t.shape);
  }

  call(x: LayerIO, kw: CallKwargs = {}): LayerIO {
    const xs = Array.isArray(x) ? x : [x];
    if (xs.length !== this.inputs.length)
      throw new ValueError(`${this.name}: expected ${this.inputs.length} inputs, got ${xs.length}`);
    const values = new Map<number, Tensor>();
    this.inputs.forEach((s, i) => {
      const t = xs[i];
      const ok = t.rank === s.rank && s.shape.every((d, j) => d === null || j === 0 || d === t.shape[j]);
      const hint = t.rank === s.rank - 1 ? ' — is the batch axis missing? (inputs are [batch, ...])' : '';
      if (!ok)
        throw new ShapeError(
          `${this.name}: input '${s.node!.layer.name}' expects shape ${fmtShape(s.shape.map((d) => d ?? -1))} (-1 = any), got ${fmtShape(t.shape)}${hint}`,
        );
      values.set(s.id, t);
    });
    for (const node of this.nodes) {
      if (node.layer instanceof InputLayer) continue;
      const ins = node.inputs.map((s) => values.get(s.id)!);
      // NOTE: a training flag fixed when the graph was built wins over the model's (Keras: Monte Carlo dropout
      // with `training: true` stays on in predict)
      const out = applyMasked(node.layer, ins.length === 1 ? ins[0] : ins, {
        ...node.kwargs,
        training: node.kwargs.training ?? kw.training,
      });
      const outs = Array.isArray(out) ? out : [out];
      node.outputs.forEach((s, i) => values.set(s.id, outs[i]));
    }
    const ys = this.outputs.map((s) => values.get(s.id)!);
    return this.singleOutput ? ys[0] : ys;
  }

  /**
   * Keras's rows: one per layer in `model.layers` order (the saved order for imported models), with every call's
   * inbound tensors as `layer[node][tensor]`; a layer called several times with different shapes shows `multiple`.
   */
  protected summaryRows(): SummaryRow[] {
    const nodesOf = new Map<Layer, GraphNode[]>();
    for (const n of this.nodes) nodesOf.set(n.layer, [...(nodesOf.get(n.layer) ?? []), n]);
    const nodeIndex = (n: GraphNode): number => nodesOf.get(n.layer)!.indexOf(n);
    return this.children()
      .map(([, l]) => l)
      .filter((l) => nodesOf.has(l))
      .map((layer) => {
        const nodes = nodesOf.get(layer)!;
        const shapes = nodes.map((n) => n.outputs.map((o) => o.shape));
        const same = shapes.every((s) => JSON.stringify(s) === JSON.stringify(shapes[0]));
        return {
          layer,
          outputShapes: shapes[0],
          ...(same ? {} : { outputText: 'multiple' }),
          params: layer.countParams(),
          connectedTo: nodes.flatMap((n) =>
            n.inputs.map((s) => `${s.node!.layer.name}[${nodeIndex(s.node!)}][${s.outputIndex}]`),
          ),
        };
      });
  }
  override getConfig() {
    return {
      name: this.name,
      layers: this.layers.map((l) => ({ class_name: l.className, name: l.name, config: l.getConfig() })),
    };
  }
}

function topoNodes(outputs: SymbolicTensor[], inputs: SymbolicTensor[], model: string): GraphNode[] {
  const order: GraphNode[] = [];
  const state = new Map<GraphNode, 1 | 2>();
  const inputIds = new Set(inputs.map((t) => t.id));
  const visit = (t: SymbolicTensor) => {
    const node = t.node;
    if (!node) throw new ValueError(`${model}: output depends on a tensor with no producing layer`);
    if (node.layer instanceof InputLayer && !inputIds.has(t.id))
      throw new ValueError(
        `${model}: the outputs depend on input '${node.layer.name}', which is not in the model's inputs`,
      );
    const s = state.get(node);
    if (s === 2) return;
    if (s === 1) throw new ValueError(`${model}: the layer graph has a cycle at '${node.layer.name}'`);
    state.set(node, 1);
    node.inputs.forEach(visit);
    state.set(node, 2);
    order.push(node);
  };
  outputs.forEach(visit);
  return order;
}

/**
 * Keras's `model.layers` order (`_map_graph_network`): layers by decreasing depth from the outputs (inputs first),
 * ties in the order a depth-first walk from the outputs first meets each layer.
 */
function kerasLayerOrder(nodes: GraphNode[], outputs: SymbolicTensor[], inputs: SymbolicTensor[]): Layer[] {
  // first-meet index: pre-order of the walk from each output through each node's inputs, in order
  const index = new Map<Layer, number>();
  const seen = new Set<GraphNode>();
  const meet = (t: SymbolicTensor): void => {
    const n = t.node!;
    if (seen.has(n)) return;
    seen.add(n);
    if (!index.has(n.layer)) index.set(n.layer, index.size);
    n.inputs.forEach(meet);
  };
  outputs.forEach(meet);
  // depth: 0 at the outputs' nodes, parent = max(child + 1); a layer takes the largest depth of its nodes
  const nodeDepth = new Map<GraphNode, number>();
  const layerDepth = new Map<Layer, number>();
  for (const n of [...nodes].reverse()) {
    const d = Math.max(nodeDepth.get(n) ?? 0, layerDepth.get(n.layer) ?? 0);
    nodeDepth.set(n, d);
    layerDepth.set(n.layer, d);
    for (const t of n.inputs) nodeDepth.set(t.node!, Math.max(d + 1, nodeDepth.get(t.node!) ?? 0));
  }
  for (const t of inputs)
    if (!layerDepth.has(t.node!.layer)) {
      layerDepth.set(t.node!.layer, 0);
      index.set(t.node!.layer, -1);
    }
  return [...layerDepth.keys()].sort(
    (a, b) => layerDepth.get(b)! - layerDepth.get(a)! || index.get(a)! - index.get(b)!,
  );
}

/** TF.js `tf.model({inputs, outputs})`. */
export const model = (
  args: LayerArgs & { inputs: SymbolicTensor | SymbolicTensor[]; outputs: SymbolicTensor | SymbolicTensor[] },
): Functional => new Functional(args);
