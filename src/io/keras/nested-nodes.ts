// How each format numbers the calls (nodes) of a nested model (a model used as a layer of a functional model), for
// the importer (build-model.ts) and the exporter (export-config.ts).
//
// Keras 1/2 and TF.js: a model built on its own Input already has node 0 (its input linked to its output), so its
// calls in an outer model are nodes 1, 2, ... in `inbound_nodes` and in `input_layers`/`output_layers` alike
// (tf.keras functional.py get_network_config: `kept_nodes = 1 if _should_skip_first_node(layer) else 0`; Keras
// 2.2 network.py get_config: `kept_nodes = 1` for every Network; tfjs-layers container.ts buildNodeConversionMap:
// `keptNodes = layer instanceof Container ? 1 : 0`). Only a tf.keras Sequential never built on an input starts at 0.
// Keras 3: `keras_history` in `inbound_nodes` is the call's own index, from 0, for every layer (functional.py
// serialize_node drops the nodes not in the model); `input_layers`/`output_layers` count a nested Functional's
// calls from 1 (get_config: `kept_nodes = 1` if Functional; functional_from_config get_tensor: `node_index -= 1`),
// a nested Sequential's from 0 (Keras 3's Sequential is no Functional).
import type { ModelSpec, TensorRef } from './spec.js';

/** What to subtract from a file's node index to get the call index of a nested model. */
export interface NodeOffsets {
  /** In `inbound_nodes` references. */
  inbound: number;
  /** In `input_layers` / `output_layers`. */
  endpoint: number;
}

/** How a writer numbers a nested model's calls (the exporter's side). */
export function exportOffsets(nestedKind: 'sequential' | 'functional', keras3: boolean): NodeOffsets {
  if (!keras3) return { inbound: 1, endpoint: 1 };
  return { inbound: 0, endpoint: nestedKind === 'functional' ? 1 : 0 };
}

/**
 * The offsets of every nested model of a functional spec (the importer's side), by layer name.
 * NOTE: files also exist with the other numbering: tf.keras writes 0-based calls for a Sequential that was never built
 * on an input, and tapegrad before this rule wrote 0-based calls everywhere (.h5 and .keras). Both are recognised:
 * Keras keeps only the calls whose outputs the model uses, so every kept call is referenced somewhere and the
 * lowest index referenced is the first call. For Keras 1/2 / TF.js that lowest index (0 or 1) decides, with no
 * ambiguity. For Keras 3 only the endpoints differ: an endpoint naming call 0 of a nested Functional (which Keras 3
 * never writes) marks the model's endpoints as 0-based; otherwise the `inbound_nodes` references (always 0-based)
 * and the endpoints must together reference every call, and a numbering for which they do not is rejected. When both
 * fit and no endpoint says 0 (a nested Functional called at least twice whose every endpoint index fits either way),
 * the real Keras 3 numbering wins: such an older tapegrad `.keras` file reads that output from the previous call.
 */
export function importOffsets(spec: ModelSpec): Map<string, NodeOffsets> {
  const out = new Map<string, NodeOffsets>();
  // NOTE: the node style decides, not the version: Keras 3's legacy .h5 keeps `{args}` nodes, and tapegrad's .h5
  // of a code-built model carries a Keras 3 version with Keras 2 node lists.
  const keras3 = spec.layers.some((l) => l.inbound.some((n) => n.keras3));
  const inbound = spec.layers.flatMap((l) => l.inbound.flatMap((n) => n.inputs));
  const endpoints = [...spec.inputs, ...spec.outputs];
  const functionals = new Set(spec.layers.filter((l) => l.model?.kind === 'functional').map((l) => l.name));
  const zeroBased = endpoints.some((r) => r.node === 0 && functionals.has(r.layer));
  for (const l of spec.layers) {
    if (!l.model) continue;
    const mine = (rs: TensorRef[]): number[] => rs.filter((r) => r.layer === l.name).map((r) => r.node);
    const ins = mine(inbound);
    const eps = mine(endpoints);
    const calls = l.inbound.length;
    if (!keras3) {
      const all = [...ins, ...eps];
      const o = all.length && Math.min(...all) === 0 ? 0 : 1;
      out.set(l.name, { inbound: o, endpoint: o });
      continue;
    }
    const preferred = l.model.kind === 'functional' && !zeroBased ? 1 : 0;
    const fits = (o: number): boolean => {
      const used = new Set(ins);
      for (const e of eps) {
        if (e - o < 0 || e - o >= calls) return false;
        used.add(e - o);
      }
      for (let k = 0; k < calls; k++) if (!used.has(k)) return false;
      return true;
    };
    const endpoint = fits(preferred) || !fits(1 - preferred) ? preferred : 1 - preferred;
    out.set(l.name, { inbound: 0, endpoint });
  }
  return out;
}
