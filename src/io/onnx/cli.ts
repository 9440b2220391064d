// What the `tapegrad` command needs for ONNX files: recognising them, `inspect` (format, opset, inputs, operators,
// what tapegrad cannot run) and `convert` to .onnx. src/cli.ts dispatches here on the file extension.
import type { Layer } from '../../nn/layer.js';
import { loadSource } from '../source.js';
import { type OnnxIO, parseModel } from './graph.js';
import { saveModel } from './export.js';
import { loadModel } from './load.js';
import type { OnnxModel } from './model.js';
import { opFor } from './registry.js';
import { typeName } from './tensor-proto.js';

export const isOnnxPath = (p: string): boolean => /\.onnx$/i.test(p);

export interface OnnxInspection {
  format: 'onnx';
  file: string;
  irVersion: number;
  opset: number;
  producer: string;
  inputs: { name: string; type: string; shape: (number | string | null)[] | null }[];
  outputs: { name: string; type: string; shape: (number | string | null)[] | null }[];
  /** Node count per operator. */
  operators: Record<string, number>;
  initializers: number;
  parameters: number;
  /** Nodes tapegrad refuses, with the reason (empty when the whole model runs). */
  unsupported: string[];
}

/** Read an ONNX file's structure without running it. */
export function inspectOnnx(path: string): OnnxInspection {
  const { bytes, name } = loadSource(path, 'onnx', { maxBytes: 2 * 1024 ** 3 });
  const g = parseModel(bytes, name);
  const operators: Record<string, number> = {};
  const unsupported: string[] = [];
  for (const n of g.nodes) {
    operators[n.opType] = (operators[n.opType] ?? 0) + 1;
    try {
      opFor(n, g.opset);
    } catch (e) {
      unsupported.push((e as Error).message.replace(/ \(supported: [^)]*\)$/, ''));
    }
  }
  const io = (v: OnnxIO) => ({ name: v.name, type: typeName(v.elemType), shape: v.shape });
  return {
    format: 'onnx',
    file: name,
    irVersion: g.irVersion,
    opset: g.opset,
    producer: g.producer,
    inputs: g.inputs.map(io),
    outputs: g.outputs.map(io),
    operators,
    initializers: g.initializers.size,
    parameters: [...g.initializers.values()].reduce((a, v) => a + (v.t.dtype === 'int32' ? 0 : v.t.size), 0),
    unsupported,
  };
}

const fmtIo = (v: OnnxInspection['inputs'][number]) =>
  `  ${v.name}: ${v.type} [${(v.shape ?? []).map((d) => d ?? '?').join(', ')}]`;

export function formatOnnxInspect(r: OnnxInspection): string {
  return [
    `${r.file}: ONNX (IR version ${r.irVersion}, opset ${r.opset}${r.producer ? `, produced by ${r.producer}` : ''})`,
    'inputs:',
    ...r.inputs.map(fmtIo),
    'outputs:',
    ...r.outputs.map(fmtIo),
    `operators: ${Object.entries(r.operators)
      .map(([k, v]) => `${k}×${v}`)
      .join(', ')}`,
    `initializers: ${r.initializers} (${r.parameters.toLocaleString('en-US')} float values)`,
    r.unsupported.length
      ? `not supported by tapegrad:\n${r.unsupported.map((u) => `  ${u}`).join('\n')}`
      : 'tapegrad runs every node',
  ].join('\n');
}

export const loadOnnxForCli = (path: string): Promise<OnnxModel> => loadModel(path);

/**
 * `tapegrad convert <model> out.onnx`: traced at batch 1 with a symbolic batch axis, or, with `--batch-size N`,
 * fixed at N (the model's own fixed batch size wins either way).
 */
export async function convertToOnnx(model: Layer, out: string, batchSize?: number): Promise<void> {
  await saveModel(model, out, batchSize === undefined ? {} : { batchSize, dynamicBatch: false });
}
