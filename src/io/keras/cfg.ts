// Reading fields of one layer's Keras config with checks: every error names the file, the layer and the field.
import type { JsonValue } from '../safe-json.js';
import { isJsonObject } from '../safe-json.js';
import { KerasImportError } from './errors.js';
import {
  Regularizer,
  type RegularizerKind,
  getRegularizer,
  orthogonalRegularizer,
  regularizerToJson,
} from '../../nn/regularizers.js';

export type JsonObject = { [key: string]: JsonValue };

/** Where a config came from, for error messages. */
export interface CfgWhere {
  source: string;
  layer: string;
  className: string;
}

/**
 * Config keys the importer ignores on purpose, with the reason (docs/keras-import.md, "Ignored config keys", lists
 * the same). Any other key a builder does not read is refused, so no option is silently dropped.
 */
export const IGNORED_KEYS: Readonly<Record<string, string>> = {
  // shapes and names: read by the model parser, not by the layer builders
  name: 'read by the model builder',
  batch_input_shape: 'read by the model builder (and ignored on non-first layers, as Keras does)',
  batch_shape: 'read by the model builder',
  input_shape: 'read by the model builder',
  batch_size: 'part of the input shape',
  input_dtype: 'Keras 1 input dtype; inputs are given as tensors',
  input_dim: 'read by the model builder (Keras 1/2 shorthand for the input shape)',
  input_length: 'read by the model builder (Keras 1/2 shorthand for the input shape)',
  build_config: 'Keras 3 build shapes; shapes come from the inputs',
  module: 'Keras 3 serialization bookkeeping (read by the class lookup)',
  registered_name: 'Keras 3 serialization bookkeeping (read by the class lookup)',
  // training-only: no effect on a forward pass with weights from the file
  activity_regularizer:
    'read by the layers that take it (Dense, convolutions, Embedding, recurrent); on any other layer a training-only penalty that is not added',
  W_regularizer:
    'Keras 1 weight regularizer: renamed to kernel_regularizer (embeddings_regularizer on Embedding)',
  b_regularizer: 'Keras 1 weight regularizer: renamed to bias_regularizer',
  U_regularizer: 'Keras 1 weight regularizer: renamed to recurrent_regularizer',
  W_constraint: 'Keras 1 weight constraint (applied by Keras optimizers only)',
  b_constraint: 'Keras 1 weight constraint (applied by Keras optimizers only)',
  U_constraint: 'Keras 1 weight constraint (applied by Keras optimizers only)',
  init: 'Keras 1 initializer: weights come from the file',
  weights: 'Keras 1 initial weights in the config: weights come from the file',
  seed: 'seed of dropout/noise, which are inactive at inference',
  renorm:
    'BatchNormalization renormalization changes training steps only; inference uses the moving statistics',
  renorm_clipping: 'training only (see renorm)',
  renorm_momentum: 'training only (see renorm)',
  virtual_batch_size: 'BatchNormalization ghost batches: training only',
  adjustment: 'BatchNormalization training-time adjustment: training only',
  synchronized: 'cross-replica batch statistics: training only',
  stateful_reset: 'training bookkeeping',
  // implementation choices that compute the same numbers
  autocast: 'mixed-precision casting; tapegrad computes in the layer dtype',
  unroll: 'the same recurrence unrolled or looped',
  implementation: 'recurrent kernel layout choice of the Keras backend; same numbers',
  consume_less: 'Keras 1 name of implementation; same numbers',
  use_cudnn: 'CuDNN kernel choice; same numbers',
  fused: 'fused BatchNormalization kernel; same numbers',
};

/** Keys ignored only at their harmless value; any other value changes the numbers and is refused. */
export const IGNORED_AT_DEFAULT: Readonly<Record<string, readonly unknown[]>> = {
  sparse: [false, null],
  ragged: [false, null],
  lora_rank: [null],
  lora_alpha: [null],
  quantization_config: [null],
  time_major: [false],
};

/**
 * Initializers, regularizers and constraints of any weight (`*_initializer`, Keras 1 `*_init`, ...): weights come from
 * the file. NOTE: the builders of the layers that take regularizers read their `*_regularizer` keys (builders/common.ts
 * `regularizerArgs`, which notes in the load report any other regularizer key set on those layers); a regularizer on
 * another layer stays ignored.
 */
const IGNORED_SUFFIX = /(_initializer|_regularizer|_constraint|_init)$/;

/** True for a key documented as ignored (at this value, for the keys ignored only at their default). */
export function isInertKey(k: string, v?: unknown): boolean {
  if (Object.hasOwn(IGNORED_KEYS, k) || IGNORED_SUFFIX.test(k)) return true;
  if (Object.hasOwn(IGNORED_AT_DEFAULT, k)) return v === undefined || IGNORED_AT_DEFAULT[k].includes(v);
  return false;
}

/** Format a JSON value briefly for messages. */
export function brief(v: unknown): string {
  const s = JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Checked access to a layer config; remembers which keys were read so unread ones can be reported. */
export class LayerCfg {
  private readonly used = new Set<string>();
  constructor(
    readonly cfg: JsonObject,
    readonly where: CfgWhere,
  ) {}

  /** `file: layer 'name' (Class)` prefix for messages. */
  get prefix(): string {
    return `${this.where.source}: layer '${this.where.layer}' (${this.where.className})`;
  }

  /** Throw a KerasImportError naming the file, layer and field. */
  fail(key: string, msg: string): never {
    throw new KerasImportError(`${this.prefix}: field '${key}': ${msg}`);
  }

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.cfg, key) && this.cfg[key] !== undefined;
  }

  /** The raw value (marks the key as read); undefined when absent. */
  raw(key: string): JsonValue | undefined {
    this.used.add(key);
    return this.has(key) ? this.cfg[key] : undefined;
  }

  /** Mark keys as handled without reading them. */
  touch(...keys: string[]): void {
    for (const k of keys) this.used.add(k);
  }

  num(key: string, def?: number): number {
    const v = this.raw(key);
    if (v === undefined || v === null) {
      if (def === undefined) this.fail(key, 'is required (a number)');
      return def;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, `expected a number, got ${brief(v)}`);
    return v;
  }

  /** A number or null (null/absent gives `def`). */
  numOrNull(key: string, def: number | null = null): number | null {
    const v = this.raw(key);
    if (v === undefined || v === null) return def;
    if (typeof v !== 'number' || !Number.isFinite(v))
      this.fail(key, `expected a number or null, got ${brief(v)}`);
    return v;
  }

  int(key: string, def?: number, min = -Infinity): number {
    const v = this.num(key, def);
    if (!Number.isInteger(v)) this.fail(key, `expected an integer, got ${brief(v)}`);
    if (v < min) this.fail(key, `must be at least ${min}, got ${v}`);
    return v;
  }

  bool(key: string, def: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined || v === null) return def;
    if (typeof v !== 'boolean') this.fail(key, `expected true or false, got ${brief(v)}`);
    return v;
  }

  str(key: string, def?: string): string {
    const v = this.raw(key);
    if (v === undefined || v === null) {
      if (def === undefined) this.fail(key, 'is required (a string)');
      return def;
    }
    if (typeof v !== 'string') this.fail(key, `expected a string, got ${brief(v)}`);
    return v;
  }

  /** A string from a fixed set. */
  oneOf<T extends string>(key: string, options: readonly T[], def: T): T {
    const v = this.str(key, def);
    if (!(options as readonly string[]).includes(v))
      this.fail(key, `${brief(v)} is not supported (supported: ${options.map((o) => `'${o}'`).join(', ')})`);
    return v as T;
  }

  /** An int, or a list of `n` ints (a single int is repeated n times). */
  ints(key: string, n: number, def?: number | number[], min = 0): number[] {
    const v = this.raw(key);
    let out: unknown[];
    if (v === undefined || v === null) {
      if (def === undefined) this.fail(key, `is required (an integer or a list of ${n})`);
      out = typeof def === 'number' ? Array(n).fill(def) : def;
    } else if (typeof v === 'number') out = Array(n).fill(v);
    else if (Array.isArray(v)) {
      if (v.length === 1 && n > 1) out = Array(n).fill(v[0]);
      else out = v;
    } else this.fail(key, `expected an integer or a list of ${n} integers, got ${brief(v)}`);
    if (out.length !== n) this.fail(key, `expected ${n} values, got ${brief(v)}`);
    for (const x of out)
      if (typeof x !== 'number' || !Number.isInteger(x) || x < min)
        this.fail(key, `expected integers ≥ ${min}, got ${brief(v)}`);
    return out as number[];
  }

  /** A list of (number | null), e.g. a shape. */
  shape(key: string): (number | null)[] | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (
      !Array.isArray(v) ||
      v.some((d) => d !== null && (typeof d !== 'number' || !Number.isInteger(d) || d < 0))
    )
      this.fail(key, `expected a list of non-negative integers or nulls, got ${brief(v)}`);
    return v as (number | null)[];
  }

  /** A nested object (e.g. a wrapped layer config). */
  obj(key: string): JsonObject {
    const v = this.raw(key);
    if (!isJsonObject(v)) this.fail(key, `expected an object, got ${brief(v)}`);
    return v;
  }

  /** Keys the builder asked for (present or not), sorted: the options this class understands. */
  readKeys(): string[] {
    return [...this.used].sort();
  }

  /** Keys present but never read and not known to be inert. */
  unreadKeys(): string[] {
    return Object.keys(this.cfg).filter((k) => !this.used.has(k) && !isInertKey(k, this.cfg[k]));
  }
}

/** Get a field of a JSON object, or undefined when the value is not an object or has no such own key. */
export function field(o: JsonValue | undefined, key: string): JsonValue | undefined {
  if (!isJsonObject(o) || !Object.prototype.hasOwnProperty.call(o, key)) return undefined;
  return o[key];
}

/**
 * A stored regularizer value in the export target's form (nn/regularizers.ts `regularizerToJson`: L1L2 for Keras 2 and
 * TF.js, Keras 3's own class with its module for `.keras`); a class tapegrad does not apply is written as it was read.
 */
export function regularizerForTarget(v: JsonValue, keras3: boolean): JsonValue {
  const kinds: Record<string, RegularizerKind> = { L1: 'L1', L2: 'L2', L1L2: 'L1L2' };
  let r: Regularizer | null = null;
  if (typeof v === 'string') {
    try {
      r = getRegularizer(v, 'regularizer');
    } catch {
      return v;
    }
  } else if (isJsonObject(v) && v.class_name === 'OrthogonalRegularizer' && isJsonObject(v.config ?? {})) {
    // re-written in the target's form (Keras 3 adds its module); a malformed one is kept as read
    const c = (v.config ?? {}) as JsonObject;
    try {
      r = orthogonalRegularizer({
        factor: (c.factor ?? undefined) as number | undefined,
        mode: (c.mode ?? undefined) as 'rows' | 'columns' | undefined,
      });
    } catch {
      return v;
    }
  } else if (isJsonObject(v) && typeof v.class_name === 'string' && Object.hasOwn(kinds, v.class_name)) {
    const c = v.config ?? {};
    const f = (x: JsonValue | undefined): number => (typeof x === 'number' ? x : 0);
    if (isJsonObject(c)) r = new Regularizer(f(c.l1), f(c.l2), kinds[v.class_name]);
  }
  return r ? (regularizerToJson(r, keras3) as JsonObject) : v;
}
