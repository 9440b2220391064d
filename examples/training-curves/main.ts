// Training pictures: fit a small Keras-style CNN with the TrainingCurves callback (loss/accuracy per epoch,
// train and validation, as a standalone SVG), then save the first conv layer's filters and one sample's
// feature maps as PNG grids. Task: horizontal vs vertical bars in generated 12×12 images.
// Run: npx tsx examples/training-curves/main.ts [--quick] [--out DIR]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tg from '../../src/index.js';

/** n images [n,12,12,1] with one bright bar and noise; one-hot labels [n,2] (horizontal, vertical). */
function makeBars(n: number, rng: tg.Rng): { x: tg.Tensor; y: tg.Tensor } {
  const x = new Float32Array(n * 144);
  const y = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const label = rng.int(2);
    y[i * 2 + label] = 1;
    const at = rng.int(12);
    for (let p = 0; p < 144; p++) {
      const [r, c] = [Math.floor(p / 12), p % 12];
      x[i * 144 + p] = 0.4 * rng.normal() + ((label === 0 ? r : c) === at ? 1 : 0);
    }
  }
  return { x: new tg.Tensor(x, [n, 12, 12, 1]), y: new tg.Tensor(y, [n, 2]) };
}

export async function main(opts: { quick?: boolean; out?: string; log?: (s: string) => void } = {}) {
  const log = opts.log ?? console.log;
  const out = opts.out ?? '.';
  mkdirSync(out, { recursive: true });
  tg.setSeed(3);
  const data = makeBars(opts.quick ? 160 : 600, new tg.Rng(3));
  const conv = new tg.Conv2D({ filters: 6, kernelSize: 3, activation: 'relu', inputShape: [12, 12, 1] });
  const model = tg.sequential({
    layers: [
      conv,
      new tg.MaxPooling2D({ poolSize: 2 }),
      new tg.Flatten(),
      new tg.Dense({ units: 2, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tg.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const curvesPath = join(out, 'curves.svg');
  const curves = new tg.TrainingCurves({ path: curvesPath, title: 'bars: loss and accuracy' });
  const history = await model.fit(data.x, data.y, {
    epochs: opts.quick ? 4 : 12,
    batchSize: 32,
    validationSplit: 0.25,
    verbose: 0,
    callbacks: [curves],
  });
  for (const [i, e] of history.epoch.entries())
    log(
      `epoch ${e + 1}: ${Object.entries(history.history)
        .map(([k, v]) => `${k} ${v[i].toFixed(3)}`)
        .join(', ')}`,
    );
  const filtersPath = join(out, 'filters.png');
  tg.writeFileAtomic(filtersPath, tg.imageGrid(tg.filterImages(conv.kernel), { columns: 6, scale: 12 }));
  const maps = tg.noGrad(() => conv.apply(tg.slice(data.x, [0, 0, 0, 0], [1, 12, 12, 1])) as tg.Tensor);
  const mapsPath = join(out, 'feature-maps.png');
  tg.writeFileAtomic(mapsPath, tg.imageGrid(tg.featureMaps(maps), { columns: 6, scale: 6 }));
  log(`wrote ${curvesPath}, ${filtersPath}, ${mapsPath}`);
  return { history, files: [curvesPath, filtersPath, mapsPath] };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--out');
  await main({ quick: process.argv.includes('--quick'), out: i > 0 ? process.argv[i + 1] : undefined });
}
