// Reading fields of one layer's Keras config with checks: every error names the file, the layer and the field.
import type { JsonValue } from '../safe-json.js';
import { isJsonObject } from '../safe-json.js';
import { KerasImportError } from './errors.js';

export type JsonObject = { [key: string]: JsonValue };

/** Where a config came from, for error messages. */
export interface CfgWhere {
  source: string;
  layer: string;
  className: string;
}

/** Keys that never change what a layer computes at inference (initializers, regularizers, constraints, ...). */
const INERT =
  /(_initializer|_regularizer|_constraint|_init|^init)$|^(name|trainable|dtype|batch_input_shape|batch_shape|input_shape|batch_size|input_dtype|input_dim|input_length|build_config|autocast|unroll|implementation|consume_less|weights|seed|W_regularizer|b_regularizer|U_regularizer|W_constraint|b_constraint|U_constraint|activity_regularizer|stateful_reset|module|registered_name|sparse|ragged|time_major|use_cudnn|synchronized|renorm|renorm_clipping|renorm_momentum|lora_rank|lora_alpha|quantization_config|fused|virtual_batch_size|adjustment)$/;

/** True for a key that is known not to affect inference. */
export const isInertKey = (k: string): boolean => INERT.test(k);

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

  /** Keys present but never read and not known to be inert. */
  unreadKeys(): string[] {
    return Object.keys(this.cfg).filter((k) => !this.used.has(k) && !isInertKey(k));
  }
}

/** Get a field of a JSON object, or undefined when the value is not an object or has no such own key. */
export function field(o: JsonValue | undefined, key: string): JsonValue | undefined {
  if (!isJsonObject(o) || !Object.prototype.hasOwnProperty.call(o, key)) return undefined;
  return o[key];
}
