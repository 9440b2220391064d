// tg.onnx.loadModel: bytes or a path → an OnnxModel running on tapegrad ops, every operator checked before it runs.
import { type ByteSource, loadSource } from '../source.js';
import { parseModel } from './graph.js';
import { OnnxModel, type OnnxModelOptions } from './model.js';
import { opFor } from './registry.js';

export interface LoadOnnxOptions extends OnnxModelOptions {
  /** Largest file accepted, in bytes (default 2 GiB, protobuf's own limit). */
  maxFileBytes?: number;
  /** Name used in error messages when bytes are given. */
  name?: string;
}

/**
 * Load an ONNX model. Unsupported operators, attributes, opsets and element types are refused here, by name, with
 * what is supported; a malformed file is a FormatError.
 * @example
 * const m = await tg.onnx.loadModel('model.onnx');
 * m.summary();
 * const y = m.predict(tg.randn([1, 1, 28, 28]));
 */
export async function loadModel(src: ByteSource, opts: LoadOnnxOptions = {}): Promise<OnnxModel> {
  return loadModelSync(src, opts);
}

/** The synchronous core of {@link loadModel}. */
export function loadModelSync(src: ByteSource, opts: LoadOnnxOptions = {}): OnnxModel {
  const { bytes, name } = loadSource(src, 'onnx', {
    name: opts.name,
    maxBytes: opts.maxFileBytes ?? 2 * 1024 ** 3,
  });
  const g = parseModel(bytes, name);
  const defs = g.nodes.map((n) => opFor(n, g.opset));
  return new OnnxModel(g, defs, opts);
}
