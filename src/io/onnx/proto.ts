// The ONNX protobuf schema (onnx.proto, the fields tapegrad reads and writes) as a protobufjs descriptor, and typed
// views of the decoded messages. protobufjs does the wire format; nothing here decodes bytes by hand.
// NOTE: only the fields below are declared; protobufjs skips unknown fields (functions, training_info, ...), and the
// importer refuses what it needs but cannot honour (external data, sparse initializers, subgraphs) by name.
import protobuf from 'protobufjs/light.js';

const rep = (type: string, id: number) => ({ rule: 'repeated', type, id });
const one = (type: string, id: number) => ({ type, id });

const descriptor = {
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: { fields: { key: one('string', 1), value: one('string', 2) } },
        OperatorSetIdProto: { fields: { domain: one('string', 1), version: one('int64', 2) } },
        TensorProto: {
          fields: {
            dims: rep('int64', 1),
            dataType: one('int32', 2),
            floatData: rep('float', 4),
            int32Data: rep('int32', 5),
            stringData: rep('bytes', 6),
            int64Data: rep('int64', 7),
            name: one('string', 8),
            docString: one('string', 12),
            rawData: one('bytes', 9),
            externalData: rep('StringStringEntryProto', 13),
            dataLocation: one('int32', 14),
            doubleData: rep('double', 10),
            uint64Data: rep('uint64', 11),
          },
        },
        SparseTensorProto: {
          fields: { values: one('TensorProto', 1), indices: one('TensorProto', 2), dims: rep('int64', 3) },
        },
        AttributeProto: {
          fields: {
            name: one('string', 1),
            refAttrName: one('string', 21),
            docString: one('string', 13),
            type: one('int32', 20),
            f: one('float', 2),
            i: one('int64', 3),
            s: one('bytes', 4),
            t: one('TensorProto', 5),
            g: one('GraphProto', 6),
            sparseTensor: one('SparseTensorProto', 22),
            floats: rep('float', 7),
            ints: rep('int64', 8),
            strings: rep('bytes', 9),
            tensors: rep('TensorProto', 10),
            graphs: rep('GraphProto', 11),
          },
        },
        Dimension: { fields: { dimValue: one('int64', 1), dimParam: one('string', 2) } },
        TensorShapeProto: { fields: { dim: rep('Dimension', 1) } },
        TensorTypeProto: { fields: { elemType: one('int32', 1), shape: one('TensorShapeProto', 2) } },
        TypeProto: { fields: { tensorType: one('TensorTypeProto', 1), denotation: one('string', 6) } },
        ValueInfoProto: {
          fields: { name: one('string', 1), type: one('TypeProto', 2), docString: one('string', 3) },
        },
        NodeProto: {
          fields: {
            input: rep('string', 1),
            output: rep('string', 2),
            name: one('string', 3),
            opType: one('string', 4),
            domain: one('string', 7),
            attribute: rep('AttributeProto', 5),
            docString: one('string', 6),
          },
        },
        GraphProto: {
          fields: {
            node: rep('NodeProto', 1),
            name: one('string', 2),
            initializer: rep('TensorProto', 5),
            sparseInitializer: rep('SparseTensorProto', 15),
            docString: one('string', 10),
            input: rep('ValueInfoProto', 11),
            output: rep('ValueInfoProto', 12),
            valueInfo: rep('ValueInfoProto', 13),
          },
        },
        ModelProto: {
          fields: {
            irVersion: one('int64', 1),
            opsetImport: rep('OperatorSetIdProto', 8),
            producerName: one('string', 2),
            producerVersion: one('string', 3),
            domain: one('string', 4),
            modelVersion: one('int64', 5),
            docString: one('string', 6),
            graph: one('GraphProto', 7),
            metadataProps: rep('StringStringEntryProto', 14),
          },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor);
export const ModelProtoType = root.lookupType('onnx.ModelProto');
export const TensorProtoType = root.lookupType('onnx.TensorProto');

/** An int64 as protobufjs hands it over: a number, or a Long-like object when long.js is present. */
export type Int64 = number | { toNumber(): number };
/** A decoded int64 as a JS number (exact up to 2^53; beyond that callers clamp, as Slice's INT64_MAX sentinels). */
export const num = (v: Int64 | null | undefined): number =>
  v === null || v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber();

export interface OnnxTensorProto {
  dims: Int64[];
  dataType: number;
  floatData: number[];
  int32Data: number[];
  stringData: Uint8Array[];
  int64Data: Int64[];
  name: string;
  rawData: Uint8Array;
  externalData: { key: string; value: string }[];
  dataLocation: number;
  doubleData: number[];
  uint64Data: Int64[];
}
export interface OnnxAttributeProto {
  name: string;
  refAttrName: string;
  type: number;
  f: number;
  i: Int64;
  s: Uint8Array;
  t: OnnxTensorProto | null;
  g: OnnxGraphProto | null;
  sparseTensor: unknown;
  floats: number[];
  ints: Int64[];
  strings: Uint8Array[];
  tensors: OnnxTensorProto[];
  graphs: OnnxGraphProto[];
}
export interface OnnxValueInfo {
  name: string;
  type: {
    tensorType: {
      elemType: number;
      shape: { dim: { dimValue?: Int64; dimParam?: string }[] } | null;
    } | null;
  } | null;
}
export interface OnnxNodeProto {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain: string;
  attribute: OnnxAttributeProto[];
}
export interface OnnxGraphProto {
  node: OnnxNodeProto[];
  name: string;
  initializer: OnnxTensorProto[];
  sparseInitializer: unknown[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
  valueInfo: OnnxValueInfo[];
}
export interface OnnxModelProto {
  irVersion: Int64;
  opsetImport: { domain: string; version: Int64 }[];
  producerName: string;
  producerVersion: string;
  graph: OnnxGraphProto | null;
}

/** ONNX TensorProto.DataType codes tapegrad meets. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
} as const;
export const DATA_TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(DataType).map(([k, v]) => [v, k]),
);
/** AttributeProto.AttributeType codes. */
export const AttrType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
} as const;

/** Decode a ModelProto; protobufjs fills defaults (empty arrays, 0, '') for absent fields. */
export const decodeModel = (bytes: Uint8Array): OnnxModelProto =>
  ModelProtoType.toObject(ModelProtoType.decode(bytes), {
    defaults: true,
    arrays: true,
    bytes: Uint8Array as never,
  }) as unknown as OnnxModelProto;
export const decodeTensor = (bytes: Uint8Array): OnnxTensorProto =>
  TensorProtoType.toObject(TensorProtoType.decode(bytes), {
    defaults: true,
    arrays: true,
    bytes: Uint8Array as never,
  }) as unknown as OnnxTensorProto;
/** Encode a plain object with the fields above (camelCase) as a ModelProto. */
export const encodeModel = (m: object): Uint8Array =>
  ModelProtoType.encode(ModelProtoType.fromObject(m)).finish();
