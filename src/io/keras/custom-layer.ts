// A layer whose forward pass the user registered (keras.registerLayer): weights from the file or a shape function.
import type { Shape } from '../../core/shape.js';
import { Tensor } from '../../core/tensor.js';
import { Layer, type LayerIO } from '../../nn/layer.js';
import type { JsonObject, LayerCfg } from './cfg.js';
import { KerasImportError } from './errors.js';
import { type CustomCall, type CustomLayerImpl, isCustomLayerImpl } from './registry.js';
import { baseArgs } from './builders/common.js';
import { describeValue } from '../../core/errors.js';

/** Short weight name: `my_layer/kernel:0` → `kernel`. */
export const shortWeightName = (n: string): string => n.replace(/:\d+$/, '').split('/').pop() ?? n;

/** Runs a registered forward function; its weights are created at build time with the stored shapes. */
export class CustomLayer extends Layer {
  static override className = 'CustomLayer';
  private readonly callFn: CustomCall;
  private readonly weightSpec:
    | ((
        config: Record<string, unknown>,
        inputShape: number[] | number[][],
      ) => { name: string; shape: number[]; trainable?: boolean }[])
    | null;

  constructor(
    name: string,
    readonly kerasClass: string,
    readonly kerasConfig: JsonObject,
    impl: CustomLayerImpl,
    private readonly stored: { name: string; shape: number[] }[],
    cfg: LayerCfg,
  ) {
    super({ ...baseArgs(cfg), name });
    if ('layer' in impl)
      throw new KerasImportError(
        `${cfg.prefix}: a {layer} registration builds its own Layer; it cannot be wrapped`,
      );
    this.callFn = typeof impl === 'function' ? impl : impl.call;
    this.weightSpec = typeof impl === 'function' ? null : (impl.weights ?? null);
  }

  override get className(): string {
    return this.kerasClass;
  }

  override build(inputShape: Shape | Shape[]): void {
    const specs = this.weightSpec
      ? this.weightSpec(this.kerasConfig, inputShape as number[] | number[][])
      : this.stored.map((w) => ({ name: shortWeightName(w.name), shape: w.shape, trainable: true }));
    for (const w of specs) this.addWeight(w.name, w.shape, 'zeros', { trainable: w.trainable ?? true });
  }

  call(inputs: LayerIO): LayerIO {
    const out = this.callFn(
      inputs,
      this.ownWeights.map((w) => w.value),
      this.kerasConfig,
    );
    const ok = out instanceof Tensor || (Array.isArray(out) && out.every((t) => t instanceof Tensor));
    if (!ok)
      throw new KerasImportError(
        `layer '${this.name}' (${this.kerasClass}): the registered function must return a Tensor or an array of Tensors`,
      );
    return out;
  }

  override getConfig(): Record<string, unknown> {
    return { ...this.kerasConfig };
  }
}

// ---- TF.js's customObjects (tg.models.modelFromJSON): one call's class name → implementation ----

/** TF.js `toCamelCase`: `kernel_size` → `kernelSize` (one character, or no '_', as is). */
const toCamelCase = (id: string): string =>
  id.length <= 1 || !id.includes('_') ? id : id.replace(/_+(\w|$)/g, (_m, c: string) => c.toUpperCase());

/**
 * TF.js `convertPythonicToTs` on a layer config: keys and string values in camelCase, recursively, except a `name`'s
 * string value; what TF.js hands a custom class's constructor.
 */
function pythonicToTs(v: unknown, key?: string): unknown {
  if (typeof v === 'string') return key === 'name' ? v : toCamelCase(v);
  if (Array.isArray(v)) return v.map((x) => pythonicToTs(x, key));
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) =>
      k === 'name' && typeof x === 'string' ? [k, x] : [toCamelCase(k), pythonicToTs(x, toCamelCase(k))],
    ),
  );
}

/** A Layer subclass, optionally with TF.js's `static fromConfig(cls, config)`. */
type LayerClass = (new (args: Record<string, unknown>) => Layer) & { fromConfig?: FromConfig };
const isClass = (v: unknown): boolean =>
  typeof v === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(v));

type FromConfig = (cls: unknown, config: Record<string, unknown>) => unknown;

/**
 * A Layer subclass as a `{layer}` implementation, built as TF.js's `deserializeKerasObject` does: `fromConfig(cls,
 * config)` (the pair's, else the class's static one) when there is one, else `new cls(config)`, the config in TF.js's
 * camelCase form. name, trainable, dtype and the batch input shape are the importer's (float64 kept, other floats
 * float32).
 * NOTE: TF.js also adds a `customObjects` key to that config; not here (a tg.Layer refuses options it does not know).
 */
function fromLayerClass(
  key: string,
  cls: LayerClass,
  from: FromConfig | null,
  where: string,
): CustomLayerImpl {
  const BASE = ['name', 'trainable', 'dtype', 'batchInputShape', 'inputShape', 'batchSize'];
  const make = from ?? (typeof cls.fromConfig === 'function' ? cls.fromConfig.bind(cls) : null);
  return {
    layer: (config, args) => {
      const own = pythonicToTs(config) as Record<string, unknown>;
      for (const k of BASE) delete own[k];
      const all = { ...own, ...args };
      const layer = make ? make(cls, all) : new cls(all);
      if (!(layer instanceof Layer))
        throw new KerasImportError(
          `${where}: customObjects['${key}']: fromConfig must return a tg.Layer, got ${describeValue(layer)}`,
        );
      return layer;
    },
  };
}

const isLayerClass = (v: unknown): v is LayerClass => typeof v === 'function' && v.prototype instanceof Layer;

/**
 * TF.js's `customObjects` as implementations for one import: a value is TF.js's pair `[cls, fromConfig]` (what its
 * class registry holds; fromConfig null: `new cls(config)`), a bare tg.Layer subclass, or anything
 * `tg.keras.registerLayer` takes (a forward function, `{call, weights?}`, `{layer: (config, args) => Layer}`).
 * Null or undefined: none.
 * NOTE: as TF.js, an entry whose class the topology does not use is not an error.
 */
export function customObjectsMap(custom: unknown, where: string): Map<string, CustomLayerImpl> {
  const out = new Map<string, CustomLayerImpl>();
  if (custom === undefined || custom === null) return out;
  if (typeof custom !== 'object' || Array.isArray(custom))
    throw new KerasImportError(
      `${where}: customObjects must be an object {className: layer class or implementation}, got ${describeValue(custom)}`,
    );
  for (const [k, v] of Object.entries(custom)) {
    const pair = Array.isArray(v) && v.length >= 1 && v.length <= 2;
    const [cls, from] = pair ? (v as unknown[]) : [v, null];
    if (isLayerClass(cls) && (from === null || from === undefined || typeof from === 'function'))
      out.set(k, fromLayerClass(k, cls, (from as FromConfig | null | undefined) ?? null, where));
    else if (!pair && isCustomLayerImpl(v) && !isClass(v)) out.set(k, v);
    else
      throw new KerasImportError(
        `${where}: customObjects['${k}'] must be a tg.Layer subclass, TF.js's pair [class, fromConfig], a forward ` +
          'function (inputs, weights, config) => output, {call, weights?} or {layer: (config, args) => Layer} (what ' +
          `tg.keras.registerLayer takes); got ${isClass(cls) ? 'a class that does not extend tg.Layer (TF.js layer classes do not run in tapegrad)' : pair ? `[${describeValue(cls)}, ${describeValue(from)}]` : describeValue(v)}`,
      );
  }
  return out;
}
