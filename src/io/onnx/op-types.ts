// What an ONNX operator implementation is: its attributes, which inputs it reads as plain values (shapes, axes),
// and a run function over tapegrad tensors. Plus the attribute reader every operator uses.
import { ValueError } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import type { AttrValue, OnnxNodeSpec } from './graph.js';
import { type OnnxValue, typeName } from './tensor-proto.js';

/** An operator, node or attribute tapegrad cannot run; the message names the node, the operator and what is supported. */
export class OnnxUnsupportedError extends ValueError {}

export interface OpContext {
  node: OnnxNodeSpec;
  opset: number;
  attrs: Attrs;
  /** Train mode (Dropout active, BatchNormalization on batch statistics). */
  training: boolean;
  /** ONNX element types of the inputs (0 for an absent optional input). */
  inTypes: number[];
  /** Per input slot: true when its value depends only on constants and shapes, never on a graph input's values. */
  staticInputs?: readonly boolean[];
}

export interface OpDef {
  /** Attribute names this implementation understands; any other attribute on a node is refused by name. */
  attrs: readonly string[];
  /** Input slots read as plain values (shapes, axes, pads, ...): never trainable, never differentiated. */
  valueInputs?: readonly number[];
  /** Input slots holding state that is not trained (BatchNormalization's running mean and variance). */
  stateInputs?: readonly number[];
  /** Opsets this implementation covers, when narrower than the importer's. */
  since?: number;
  run(ins: (Tensor | null)[], ctx: OpContext): Tensor[];
  /** Output element types (default: the first input's type). */
  outTypes?(ctx: OpContext): number[];
}

/** Reads a node's attributes with defaults, refusing wrong kinds by name. */
export class Attrs {
  constructor(
    private readonly node: OnnxNodeSpec,
    private readonly m: Map<string, AttrValue>,
  ) {}
  has(name: string): boolean {
    return this.m.has(name);
  }
  private bad(name: string, want: string): never {
    throw new ValueError(
      `${where(this.node)}: attribute '${name}' must be ${want}, got ${JSON.stringify(describe(this.m.get(name)))}`,
    );
  }
  int(name: string, dflt: number): number {
    const v = this.m.get(name);
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.bad(name, 'an integer');
    return v;
  }
  float(name: string, dflt: number): number {
    const v = this.m.get(name);
    if (v === undefined) return dflt;
    if (typeof v !== 'number') this.bad(name, 'a float');
    return v;
  }
  str(name: string, dflt: string): string {
    const v = this.m.get(name);
    if (v === undefined) return dflt;
    if (typeof v !== 'string') this.bad(name, 'a string');
    return v;
  }
  ints(name: string): number[] | null {
    const v = this.m.get(name);
    if (v === undefined) return null;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) this.bad(name, 'a list of integers');
    return v as number[];
  }
  floats(name: string): number[] | null {
    const v = this.m.get(name);
    if (v === undefined) return null;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) this.bad(name, 'a list of floats');
    return v as number[];
  }
  strs(name: string): string[] | null {
    const v = this.m.get(name);
    if (v === undefined) return null;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) this.bad(name, 'a list of strings');
    return v as string[];
  }
  tensor(name: string): OnnxValue | null {
    const v = this.m.get(name);
    if (v === undefined) return null;
    if (typeof v !== 'object' || Array.isArray(v)) this.bad(name, 'a tensor');
    return v;
  }
}

const describe = (v: AttrValue | undefined): unknown =>
  v && typeof v === 'object' && !Array.isArray(v) ? `tensor of ${typeName(v.type)}` : v;

/** `node 'conv1' (Conv)`, the prefix of every operator error. */
export const where = (n: OnnxNodeSpec): string => `onnx node '${n.name}' (${n.opType})`;

/** Refuse an option value by name, with what is supported. */
export function unsupported(n: OnnxNodeSpec, what: string, supported: string): never {
  throw new OnnxUnsupportedError(`${where(n)}: ${what} is not supported (supported: ${supported})`);
}

/** A required input, with a clear error when the node leaves it out. */
export function need(ins: (Tensor | null)[], i: number, n: OnnxNodeSpec, what: string): Tensor {
  const t = ins[i];
  if (!t) throw new ValueError(`${where(n)}: input ${i} (${what}) is required`);
  return t;
}

/** The values of a small integer tensor (shapes, axes, pads) as numbers. */
export const intsOf = (t: Tensor): number[] => Array.from(t.raw, (v) => Math.trunc(v));
