// A decoded ModelProto checked into the graph the importer runs: opset, inputs with their (symbolic) shapes,
// initializers as tensors, nodes with decoded attributes, every name defined before it is used.
import { FormatError } from '../errors.js';
import { type OnnxValue, SUPPORTED_TYPES, protoDims, tensorFromProto, typeName } from './tensor-proto.js';
import { OnnxUnsupportedError } from './op-types.js';
import {
  AttrType,
  type OnnxAttributeProto,
  type OnnxModelProto,
  type OnnxValueInfo,
  decodeModel,
  num,
} from './proto.js';

/** The opsets of the default ONNX domain the importer knows (PyTorch and tf2onnx exports use 9–17). */
export const MIN_OPSET = 1;
export const MAX_OPSET = 21;
/** Bounds on hostile files: nodes, names per node and attribute list lengths. */
export const MAX_NODES = 100_000;
const MAX_LIST = 1_000_000;

export type AttrValue = number | string | number[] | string[] | OnnxValue;

export interface OnnxNodeSpec {
  /** The node's name, or `<OpType>_<index>` when the file gives none (unique within the graph). */
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, AttrValue>;
}
export interface OnnxIO {
  name: string;
  elemType: number;
  /** Each dim: a number, a symbol name (dim_param, e.g. 'batch'), or null when unknown. */
  shape: (number | string | null)[] | null;
}
export interface OnnxGraphSpec {
  name: string;
  opset: number;
  irVersion: number;
  producer: string;
  inputs: OnnxIO[];
  outputs: OnnxIO[];
  initializers: Map<string, OnnxValue>;
  nodes: OnnxNodeSpec[];
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

function ioOf(v: OnnxValueInfo, where: string): OnnxIO {
  const tt = v.type?.tensorType;
  if (!tt)
    throw new OnnxUnsupportedError(
      `${where} '${v.name}' is a sequence, map or optional value, which is not supported (supported: tensors)`,
    );
  const shape = tt.shape
    ? tt.shape.dim.map((d) =>
        d.dimParam
          ? d.dimParam
          : d.dimValue !== undefined && d.dimValue !== null && num(d.dimValue) > 0
            ? num(d.dimValue)
            : null,
      )
    : null;
  return { name: v.name, elemType: tt.elemType, shape };
}

function attrValue(a: OnnxAttributeProto, where: string): AttrValue {
  const at = `${where}: attribute '${a.name}'`;
  if (a.refAttrName) throw new FormatError(`${at} refers to a function attribute, which is not supported`);
  for (const l of [a.floats, a.ints, a.strings, a.tensors])
    if (l.length > MAX_LIST) throw new FormatError(`${at} has ${l.length} values (the most is ${MAX_LIST})`);
  switch (a.type) {
    case AttrType.FLOAT:
      return a.f;
    case AttrType.INT:
      return num(a.i);
    case AttrType.STRING:
      return utf8.decode(a.s);
    case AttrType.TENSOR:
      if (!a.t) throw new FormatError(`${at} is a tensor attribute without a tensor`);
      return tensorFromProto(a.t, at);
    case AttrType.FLOATS:
      return a.floats.slice();
    case AttrType.INTS:
      return a.ints.map(num);
    case AttrType.STRINGS:
      return a.strings.map((s) => utf8.decode(s));
    case AttrType.GRAPH:
    case AttrType.GRAPHS:
      throw new FormatError(`${at} is a subgraph; control flow (If, Loop, Scan) is not supported`);
    default:
      throw new FormatError(
        `${at} has type ${a.type}, which is not supported (float, int, string, tensor and their lists are)`,
      );
  }
}

/** Decode and check an ONNX file's bytes; every problem is a FormatError naming the file and the field. */
export function parseModel(bytes: Uint8Array, file: string): OnnxGraphSpec {
  let m: OnnxModelProto;
  try {
    m = decodeModel(bytes);
  } catch (e) {
    throw new FormatError(`onnx ${file}: not a valid ONNX protobuf (${(e as Error).message})`);
  }
  const g = m.graph;
  if (!g || (!g.node.length && !g.output.length))
    throw new FormatError(`onnx ${file}: the file has no graph (is it an ONNX model?)`);
  const where = `onnx ${file}`;
  const main = m.opsetImport.filter((o) => o.domain === '' || o.domain === 'ai.onnx');
  const opset = main.length ? Math.max(...main.map((o) => num(o.version))) : num(m.irVersion) < 3 ? 1 : 0;
  if (!(opset >= MIN_OPSET && opset <= MAX_OPSET))
    throw new FormatError(
      `${where}: opset ${opset} of the default ONNX domain is not supported (supported: opset ${MIN_OPSET}–${MAX_OPSET})`,
    );
  if (g.node.length > MAX_NODES)
    throw new FormatError(`${where}: ${g.node.length} nodes (the most is ${MAX_NODES})`);
  if (g.sparseInitializer.length)
    throw new FormatError(`${where}: sparse initializers are not supported (store them dense)`);
  const initializers = new Map<string, OnnxValue>();
  for (const [i, t] of g.initializer.entries()) {
    if (!t.name) throw new FormatError(`${where}: initializer ${i} has no name`);
    if (initializers.has(t.name)) throw new FormatError(`${where}: two initializers are named '${t.name}'`);
    protoDims(t, `${where}: initializer '${t.name}'`);
    initializers.set(t.name, tensorFromProto(t, `${where}: initializer '${t.name}'`));
  }
  // IR < 4 lists initializers among the inputs too; those are not inputs the caller feeds.
  const inputs = g.input.filter((v) => !initializers.has(v.name)).map((v) => ioOf(v, `${where}: input`));
  const outputs = g.output.map((v) => ioOf(v, `${where}: output`));
  const defined = new Set<string>([...initializers.keys(), ...inputs.map((i) => i.name)]);
  const names = new Set<string>();
  const nodes = g.node.map((n, i): OnnxNodeSpec => {
    let name = n.name || `${n.opType || 'node'}_${i}`;
    while (names.has(name)) name = `${name}_${i}`;
    names.add(name);
    const at = `${where}: node '${name}' (${n.opType || '?'})`;
    if (!n.opType) throw new FormatError(`${at} has no op_type`);
    if (n.domain && n.domain !== 'ai.onnx')
      throw new FormatError(
        `${at} is in domain '${n.domain}'; only the default ONNX domain is supported (no custom or contrib operators)`,
      );
    for (const x of n.input)
      if (x !== '' && !defined.has(x))
        throw new FormatError(`${at} reads '${x}', which no earlier node, input or initializer defines`);
    for (const y of n.output) {
      if (y !== '' && defined.has(y)) throw new FormatError(`${at} writes '${y}', which is already defined`);
      if (y !== '') defined.add(y);
    }
    const attrs = new Map<string, AttrValue>();
    for (const a of n.attribute) {
      if (attrs.has(a.name)) throw new FormatError(`${at} has attribute '${a.name}' twice`);
      attrs.set(a.name, attrValue(a, at));
    }
    return { name, opType: n.opType, inputs: n.input.slice(), outputs: n.output.slice(), attrs };
  });
  for (const o of outputs)
    if (!defined.has(o.name))
      throw new FormatError(`${where}: output '${o.name}' is not computed by any node`);
  for (const io of [...inputs, ...outputs])
    if (!SUPPORTED_TYPES.includes(io.elemType as never))
      throw new OnnxUnsupportedError(
        `${where}: '${io.name}' has element type ${typeName(io.elemType)}, which is not supported (supported: ${SUPPORTED_TYPES.map(typeName).join(', ')})`,
      );
  return {
    name: g.name || 'onnx_model',
    opset,
    irVersion: num(m.irVersion),
    producer: [m.producerName, m.producerVersion].filter(Boolean).join(' '),
    inputs,
    outputs,
    initializers,
    nodes,
  };
}
