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

export type ToWorker =
  | { type: 'init'; digitsUrl: string }
  | { type: 'train'; run: boolean }
  | { type: 'predict'; pixels: Float32Array }
  | { type: 'explain'; layer: string }
  | { type: 'keras'; files: KerasFileMsg[] };

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
  | {
      type: 'ready';
      status: BackendStatus;
      summary: string;
      convLayers: string[];
      nTrain: number;
      nTest: number;
      digit: { pixels: Float32Array; label: number };
    }
  | { type: 'kernelCheck'; size: number; threads: number; poolJobs: number; maxDiff: number }
  | { type: 'progress'; step: number; epoch: number; loss: number; acc: number; stepsPerSec: number }
  | { type: 'eval'; step: number; testAcc: number; testLoss: number }
  | { type: 'images'; step: number; filters: ImageStack; maps1: ImageStack; maps2: ImageStack }
  | { type: 'prediction'; model: 'seed' | 'keras'; probs: number[] }
  | { type: 'explain'; layer: string; text: string }
  | { type: 'keras'; result: KerasResult }
  | { type: 'error'; where: string; message: string };
