// A layer whose forward pass the user registered (keras.registerLayer): weights from the file or a shape function.
import type { Shape } from '../../core/shape.js';
import { Tensor } from '../../core/tensor.js';
import { Layer, type LayerIO } from '../../nn/layer.js';
import type { JsonObject, LayerCfg } from './cfg.js';
import { KerasImportError } from './errors.js';
import type { CustomCall, CustomLayerImpl } from './registry.js';
import { baseArgs } from './builders/common.js';

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
