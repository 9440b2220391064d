// What one dispatched op costs in JavaScript, layer by layer, on the wasm backend (1 thread, [32, 64] float32
// operands resident in wasm memory, inside one tg.noGrad frame of 1,000 ops): the kernel call alone, dispatch's
// `run`, the public builder, and a recorded op (an input that requires a gradient). Median of 7 rounds, µs per op.
// Run it in each of V8's tiers to see what a training loop's first steps pay before the library is optimized:
//   node --import tsx scripts/per-op-cost.ts                 (optimized: TurboFan once warm)
//   node --max-opt=1 --import tsx scripts/per-op-cost.ts     (Sparkplug at most, as early steps run)
//   node --max-opt=0 --import tsx scripts/per-op-cost.ts     (Ignition only)
// NOTE: --max-opt is a diagnosis flag for this script only; the library never sets V8 flags for its host.
import * as tg from '../src/index.js';
import { kernels } from '../src/backend/kernels.js';
import { run } from '../src/ops/dispatch.js';
import { wasmBackend } from '../src/backend/wasm/node.js';

if (!wasmBackend) throw new Error('per-op-cost: the wasm backend did not load; run `npm run build:wasm`');
tg.setBackend('wasm');
tg.setNumThreads(1);
await wasmBackend.pool.whenReady();
const k = kernels();
const OPS = 1000;
const a = tg.keep(tg.rand([32, 64]));
const b = tg.keep(tg.rand([32, 64]));
const leaf = tg.rand([32, 64]).requireGrad();
const out = new Float32Array(32 * 64);
const NO_PARAMS = Object.freeze({});

function time(name: string, body: (x: tg.Tensor, y: tg.Tensor) => unknown): void {
  const us: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t = performance.now();
    tg.noGrad(() => {
      // resident inputs: op outputs made in this frame (kept tensors are plain arrays, copied in per call)
      const x = tg.add(a, b);
      const y = tg.mul(a, b);
      for (let i = 0; i < OPS; i++) body(x, y);
      return null;
    });
    us.push(((performance.now() - t) / OPS) * 1000);
  }
  us.sort((p, q) => p - q);
  console.log(`${name.padEnd(36)} ${us[3].toFixed(2)} µs/op`);
}

time('kernel call k.binary (plain out)', (x, y) => k.binary('add', x.raw, y.raw, out));
time("dispatch run('add')", (x, y) => run('add', [x, y], NO_PARAMS));
time('tg.add', (x, y) => tg.add(x, y));
time('tg.relu', (x) => tg.relu(x));
time('tg.matmul [32,64]·[32,64]ᵀ', (x, y) => tg.matmul(x, y, { transB: true }));
time('tg.add, recorded (requiresGrad)', (_x, y) => tg.enableGrad(() => tg.add(leaf, y)));
process.exit(0);
