// Messages between the page (main.ts) and the training worker (worker.ts).
import type { BackendStatus } from 'tapegrad';

/** A stack of single-channel images: `count` maps of h×w, map-major, any range (the page normalises each). */
export interface ImageStack {
  h: number;
  w: number;
  count: number;
  data: Float32Array;
}

export interface KerasFileMsg {
  name: string;
  bytes: ArrayBuffer;
}

export type OptimizerName = 'adam' | 'sgd' | 'momentum' | 'rmsprop';

/** What the training loop runs with; every field can change between two steps. */
export interface Settings {
  lr: number;
  batchSize: number;
  optimizer: OptimizerName;
}

export type SaveFormat = 'keras' | 'h5' | 'safetensors';

/** Mean, standard deviation (population) and a histogram of `counts.length` equal bins over [lo, hi]. */
export interface Summary {
  n: number;
  mean: number;
  std: number;
  lo: number;
  hi: number;
  counts: number[];
}

/** One layer's numbers at one step: its kernel, its output on the training batch and its kernel's gradient. */
export interface LayerStats {
  name: string;
  weights: Summary | null;
  activations: Summary;
  gradients: Summary | null;
}

/** The worker's own numbers, sent on request, so tests compare what the page shows with them. */
export interface WorkerState {
  step: number;
  settings: Settings;
  /** The optimizer's update rule ('adam', 'sgd', 'rmsprop') and its momentum, if it has one. */
  optimizerRule: string;
  momentum: number | null;
  learningRate: number;
  /** Predicted class of every test digit at the last evaluation (step `evalStep`), and the true labels. */
  evalStep: number;
  preds: number[];
  labels: number[];
  evalLoss: number;
  evalAcc: number;
  /** Raw values the last statistics were computed from (step `statsStep`), by layer name; empty unless asked. */
  statsStep: number;
  raw: Record<string, { weights: number[] | null; activations: number[]; gradients: number[] | null }>;
  /** The seed model's softmax outputs on the first 10 test digits (for save / load-back checks). */
  probe: number[][];
  /** Dense layers' kernels as sent in the last `images` message. */
  dense: Record<string, { shape: number[]; values: number[] }>;
}

export type ToWorker =
  | { type: 'init'; digitsUrl: string }
  | { type: 'train'; run: boolean }
  | { type: 'reset' }
  | { type: 'settings'; settings: Partial<Settings> }
  | { type: 'predict'; pixels: Float32Array }
  | { type: 'explain'; layer: string }
  | { type: 'keras'; files: KerasFileMsg[] }
  | { type: 'save'; format: SaveFormat }
  | { type: 'loadSeed'; file: KerasFileMsg }
  | { type: 'state'; raw: boolean };

export interface KerasResult {
  name: string;
  report: string;
  summary: string;
  inputShape: (number | null)[];
  /** The input the model was run on: an .npy dropped with it, or the probe x[i] = sin(0.1·i). */
  inputSource: string;
  outputShape: number[];
  output: number[];
  /** True when the model takes a 28×28 digit, so the draw pad also asks it. */
  takesDigit: boolean;
}

export type FromWorker =
  | { type: 'loading'; what: string }
  | {
      type: 'ready';
      status: BackendStatus;
      summary: string;
      convLayers: string[];
      nTrain: number;
      nTest: number;
      digit: { pixels: Float32Array; label: number };
      /** The first test digits (for the prediction grid) and every test label. */
      grid: ImageStack;
      testLabels: number[];
      settings: Settings;
    }
  | { type: 'kernelCheck'; size: number; threads: number; poolJobs: number; maxDiff: number }
  | {
      type: 'progress';
      step: number;
      epoch: number;
      loss: number;
      acc: number;
      /** performance.now() in the worker when the step ended, and the batch it trained on. */
      time: number;
      batchSize: number;
    }
  | { type: 'eval'; step: number; testAcc: number; testLoss: number; preds: Int32Array }
  | {
      type: 'images';
      step: number;
      filters: ImageStack;
      maps1: ImageStack;
      maps2: ImageStack;
      /** Dense kernels as [in, out] matrices (one image each) and the dense layers' outputs on the sample. */
      dense: { name: string; kernel: ImageStack; output: number[] }[];
    }
  | { type: 'stats'; step: number; layers: LayerStats[] }
  | { type: 'settings'; settings: Settings }
  | { type: 'reset'; summary: string }
  | { type: 'prediction'; model: 'seed' | 'keras'; probs: number[] }
  | { type: 'explain'; layer: string; text: string }
  | { type: 'keras'; result: KerasResult }
  | { type: 'saved'; format: SaveFormat; name: string; bytes: ArrayBuffer }
  | { type: 'loadedSeed'; name: string; report: string }
  | { type: 'state'; state: WorkerState }
  | { type: 'error'; where: string; message: string };
