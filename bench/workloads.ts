// The benchmark workloads of issue 12 and the framework configurations that run each one. Every (workload,
// framework) cell runs in its own child process (bench/worker.ts, or bench/torch_bench.py for PyTorch), so its peak
// RSS is its own. Framework code is imported lazily, for the same reason.
import type { LoopOptions, Step } from './lib/measure.js';

export type Unit = 'images/s' | 'GFLOP/s' | 'ms/epoch' | 's/epoch';

export interface Workload {
  id: string;
  title: string;
  unit: Unit;
  /** Images (or FLOPs) per step, to turn ms per step into the unit; 0 for times. */
  perStep: number;
  /** Framework configurations in table order (PyTorch runs from bench/torch_bench.py). */
  frameworks: FrameworkId[];
  /** Configurations that run only in the full run (too slow for --quick). */
  fullOnly?: FrameworkId[];
  /** Fixed step counts instead of the time budget (e.g. 3 epochs); no yielding loop then. */
  fixedSteps?: number;
  /**
   * A same-process pair: each framework here runs workload `of` alternately with `against` running it too, in one
   * synchronous loop (bench/lib/measure.ts `interleaved`), for target rows whose ratio compares two
   * configurations of the same math; no yielding loop and no first steps then.
   */
  pair?: { of: string; against: FrameworkId; block?: number };
  /**
   * The steps 5–10 / steady ratio of this framework's cell, as the median over this many fresh processes (the cell's
   * own and more that run only the synchronous loop; fewer in quick runs, one in tiny ones): a single fresh process
   * reads anywhere in ~1.0–2.4 on this 2-core machine (V8's tier-up and the machine's phase), so one draw says little.
   */
  firstSteps?: { fw: FrameworkId; processes: number };
}

export const FRAMEWORK_CONFIGS = {
  tapegrad: 'tapegrad, wasm backend, functional ops + valueAndGrads + SGD (noGrad for inference)',
  'tapegrad-layers': 'tapegrad, wasm backend, tg.layers model: predict / compile + trainOnBatch / fit',
  'tapegrad-fused': 'tapegrad, wasm backend, tg.fused.conv2d + tg.fused.matMul (bias + relu fused), noGrad',
  'tapegrad-nn':
    'tapegrad, wasm backend, tg.nn.Module on NCHW (PyTorch-style): loss.backward() + tg.SGD / forward in tg.noGrad',
  'tfjs-wasm-layers':
    'TF.js 4.22 tfjs-wasm (SIMD, 1 thread in Node), tf.layers model: predict / trainOnBatch / fit',
  'tfjs-cpu-layers': 'TF.js 4.22 tfjs-cpu, tf.layers model: predict / trainOnBatch',
  'tfjs-wasm-fused': 'TF.js 4.22 tfjs-wasm, tf.fused.conv2d + tf.fused.matMul (bias + relu fused)',
  'tfjs-wasm-ops': 'TF.js 4.22 tfjs-wasm, tfjs-core ops (tf.matMul; LSTM cells + optimizer.minimize)',
  convnetjs: 'ConvNetJS 0.3 (one sample at a time, 32 accumulated per SGD update)',
  'jax-js-jit': 'jax-js 0.1.25, wasm device, whole SGD step under jit',
  pytorch: 'PyTorch (Debian python3-torch), torch.set_num_threads(2), eager',
  'ort-web':
    'ONNX Runtime Web 1.31 (WASM, in Node), the same .onnx file and thread count as tapegrad (tg.onnx.loadModel + predict)',
} as const;
export type FrameworkId = keyof typeof FRAMEWORK_CONFIGS;

const sgemm = (n: number): Workload => ({
  id: `sgemm-${n}`,
  title: `sgemm ${n}×${n}×${n}`,
  unit: 'GFLOP/s',
  perStep: 2 * n ** 3,
  frameworks: ['tapegrad', 'tfjs-wasm-ops', 'pytorch'],
});
const wide = (b: number): Workload => ({
  id: `wide-train-${b}`,
  title: `wider CNN training step, batch ${b}`,
  unit: 'images/s',
  perStep: b,
  frameworks: ['tapegrad', 'pytorch'],
});

export const WORKLOADS: Workload[] = [
  {
    id: 'cnn-train',
    title: 'seed CNN training step, batch 32',
    unit: 'images/s',
    perStep: 32,
    frameworks: [
      'tapegrad',
      'tapegrad-layers',
      'tapegrad-nn',
      'tfjs-wasm-layers',
      'tfjs-cpu-layers',
      'convnetjs',
      'pytorch',
    ],
    fullOnly: ['tfjs-cpu-layers'],
    firstSteps: { fw: 'tapegrad', processes: 5 },
  },
  {
    id: 'cnn-infer',
    title: 'seed CNN inference, batch 32',
    unit: 'images/s',
    perStep: 32,
    frameworks: [
      'tapegrad',
      'tapegrad-layers',
      'tapegrad-fused',
      'tapegrad-nn',
      'tfjs-wasm-layers',
      'tfjs-wasm-fused',
      'tfjs-cpu-layers',
      'convnetjs',
      'pytorch',
    ],
    fullOnly: ['tfjs-cpu-layers'],
  },
  sgemm(256),
  sgemm(1024),
  sgemm(2048),
  {
    id: 'lstm-layers',
    title: 'seed LSTM epoch (81 samples, batch 81), layers + fit',
    unit: 'ms/epoch',
    perStep: 0,
    frameworks: ['tapegrad-layers', 'tfjs-wasm-layers'],
  },
  {
    id: 'lstm-cells',
    title: 'seed LSTM epoch (81 samples, batch 81), explicit cells',
    unit: 'ms/epoch',
    perStep: 0,
    frameworks: ['tapegrad', 'jax-js-jit', 'tfjs-wasm-ops', 'pytorch'],
  },
  wide(32),
  wide(128),
  {
    id: 'onnx-cnn',
    title: 'PyTorch-exported CNN .onnx inference, batch 32',
    unit: 'images/s',
    perStep: 32,
    frameworks: ['tapegrad', 'ort-web'],
  },
  {
    id: 'onnx-mlp',
    title: 'PyTorch-exported MLP .onnx inference, batch 32',
    unit: 'images/s',
    perStep: 32,
    frameworks: ['tapegrad', 'ort-web'],
  },
  {
    // NOTE: not one of issue 12's targets (session 25's normalization rows); each framework its own initial weights
    id: 'bn-cnn-train',
    title: 'conv + BatchNormalization CNN training step, batch 32',
    unit: 'images/s',
    perStep: 32,
    frameworks: ['tapegrad-layers', 'tapegrad-nn', 'tfjs-wasm-layers', 'pytorch'],
  },
  {
    id: 'bn-cnn-infer',
    title: 'conv + BatchNormalization CNN inference, batch 32',
    unit: 'images/s',
    perStep: 32,
    frameworks: ['tapegrad-layers', 'tapegrad-nn', 'tfjs-wasm-layers', 'pytorch'],
  },
  {
    id: 'cnn-train-pair',
    title: 'seed CNN training step, batch 32, tg.layers interleaved with functional ops',
    unit: 'images/s',
    perStep: 32,
    frameworks: ['tapegrad-layers'],
    pair: { of: 'cnn-train', against: 'tapegrad' },
  },
  {
    id: 'cnn-infer-pair',
    title: 'seed CNN inference, batch 32, tg.layers interleaved with functional ops',
    unit: 'images/s',
    perStep: 32,
    frameworks: ['tapegrad-layers'],
    pair: { of: 'cnn-infer', against: 'tapegrad' },
  },
  {
    // NOTE: cells minutes apart see different phases of this machine: session 12's first full run read functional
    // inference at 1.74 ms and tfjs-wasm's predict at 1.72 in their cells, then 1.13–1.78 and 1.77–4.9 ms in quick
    // cells minutes later (docs/performance.md, Method)
    id: 'cnn-infer-tfjs-pair',
    title: 'seed CNN inference, batch 32, interleaved with tfjs-wasm tf.layers predict',
    unit: 'images/s',
    perStep: 32,
    frameworks: ['tapegrad', 'tapegrad-layers'],
    pair: { of: 'cnn-infer', against: 'tfjs-wasm-layers', block: 16 },
  },
  {
    id: 'cnn-fit',
    title: 'seed CNN fit, 3 epochs × 4,096 images, defaults',
    unit: 's/epoch',
    perStep: 0,
    frameworks: ['tapegrad-layers', 'pytorch'],
    fixedSteps: 3,
  },
];

export function workload(id: string): Workload {
  const w = WORKLOADS.find((x) => x.id === id);
  if (!w)
    throw new Error(`bench: unknown workload '${id}' (known: ${WORKLOADS.map((x) => x.id).join(', ')})`);
  return w;
}

/**
 * Each loop's warm-up, in quick and full runs alike: the steps that start in its first 1.5 s (and at least the first
 * 5) are left out of the steady statistics. The synchronous loop's are what the first-steps and steps 5–10 columns show.
 */
export const WARMUP_MS = 1500;
/**
 * A bound on a loop's steps far above what its time budget allows for any cell (an MLP batch takes ~15 µs): the
 * budget, not a step count, ends every loop, so a fast cell's steady run is as long in time as a slow one's.
 * NOTE: a cap of 5,000 steps (until session 9) ended the MLP's loops after ~0.1 s, inside V8's tier-up.
 */
const MAX_STEPS = 1_000_000;

/** Loop lengths: quick runs fewer steps with the same method; tiny (CI) runs a handful. */
export function loopOptions(
  w: Workload,
  mode: 'full' | 'quick' | 'tiny',
): { sync: LoopOptions; yielding: LoopOptions | null } {
  if (w.fixedSteps)
    return { sync: { minSteps: w.fixedSteps, maxSteps: w.fixedSteps, budgetMs: 0 }, yielding: null };
  // NOTE: the yielding loop runs a fresh model in a process of its own with the synchronous loop's options (the same
  // warm-up window and length), so the two columns compare like with like (measureYielding).
  if (mode === 'tiny') {
    const tiny = { minSteps: 6, maxSteps: 6, budgetMs: 0 };
    return { sync: tiny, yielding: tiny };
  }
  // NOTE: quick differs from full only in how long each loop runs after the warm-up: both exclude the same warm-up
  // window (WARMUP_MS), so their steady medians agree within noise.
  const quick = mode === 'quick';
  const sync: LoopOptions = {
    minSteps: quick ? 10 : 12,
    maxSteps: MAX_STEPS,
    budgetMs: quick ? 2500 : 6000,
    warmupMs: WARMUP_MS,
    minSteady: quick ? 5 : 8,
  };
  return { sync, yielding: sync };
}

/** How many fresh processes a workload's first-steps ratio is the median of in this mode (1: the cell's own). */
export function firstStepsProcesses(w: Workload, fw: FrameworkId, mode: 'full' | 'quick' | 'tiny'): number {
  if (!w.firstSteps || w.firstSteps.fw !== fw || mode === 'tiny') return 1;
  return mode === 'quick' ? Math.min(3, w.firstSteps.processes) : w.firstSteps.processes;
}

/** A step function, or the reason this configuration cannot run the workload. */
export type Runner = { step: Step } | { na: string };
