// The `tapegrad` command line as a function: summary, predict, inspect and convert for Keras model files (no Python
// needed). src/cli.ts runs it as the `tapegrad` bin; tests call runCli in-process.
import { createRequire } from 'node:module';
import { Tensor, tensor } from '../core/tensor.js';
import { TapegradError, ValueError } from '../core/errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { closeHdf5Worker } from '../io/hdf5.js';
import { UnknownLayerError, WeightsOnlyError, keras } from '../io/keras/api.js';
import type { ModelSource } from '../io/keras/load.js';
import { readNpy, writeNpy } from '../io/npy.js';
import { parseJsonSafe } from '../io/safe-json.js';
import { loadSource } from '../io/source.js';
import { assertFiniteData } from '../nn/keras/data-checks.js';
import { convertToOnnx, formatOnnxInspect, inspectOnnx, isOnnxPath, loadOnnxForCli } from '../io/onnx/cli.js';
import '../ops/index.js';

/** Where the CLI writes: stdout and stderr of the process, or a test's buffers. */
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

let io: CliIO = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/**
 * The package's version from its package.json: one folder up from dist/cli.js (the bundled bin), two from
 * src/cli/main.ts (run from source).
 */
function packageVersion(): string {
  const req = createRequire(import.meta.url);
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = req(rel) as { name?: string; version?: string };
      if (pkg.name === 'tapegrad' && pkg.version) return pkg.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}

const USAGE = `usage: tapegrad <command> [options]

commands:
  summary <model> [--weights <w.h5>]               print the model's layers, shapes and parameter counts
  predict <model> --input <x.npy|x.json> [--input ...] [--output <y.npy|y.json>] [--weights <w.h5>] [--batch-size <n>]
                                                   run the model; without --output the result is printed as JSON
  inspect <file> [--json]                          format, Keras version, backend, layers and stored weights
  convert <model> <out.h5|out.keras|out.onnx> [--weights <w.h5>] [--batch-size <n>]
                                                   save as Keras legacy HDF5, Keras 3 .keras or ONNX .onnx
                                                   (--batch-size: .onnx only, fixes its batch axis at n)
  version (or --version, -v)                       print the version
  help [<command>] (or --help, -h, after any command)  print this help

<model> is a Keras .h5 (Keras 1/2), a Keras 3 .keras, a TF.js model.json, an architecture .json with --weights,
or an ONNX .onnx file.
Options: --report prints the weight load report; --lenient loads what matches instead of failing on weight problems
(--weights, --report and --lenient are for Keras models, not .onnx).`;

/** A usage mistake (exit code 2). */
class UsageError extends Error {}

interface Parsed {
  positional: string[];
  flags: Map<string, string[]>;
  bools: Set<string>;
}

const BOOL_FLAGS = new Set(['--json', '--report', '--lenient', '--help', '-h']);
const VALUE_FLAGS = new Set(['--weights', '--input', '--output', '--batch-size']);

/**
 * One command's usage, cut from USAGE (the line naming it and its continuation lines): the synopsis on the usage
 * line, then the description indented below it.
 */
function commandUsage(cmd: string): string | null {
  const lines = USAGE.split('\n');
  const i = lines.findIndex((l) => l.startsWith(`  ${cmd} `));
  if (i < 0) return null;
  let j = i + 1;
  while (j < lines.length && /^ {40,}/.test(lines[j])) j++;
  // each line is a synopsis, a description after a run of spaces, or both
  const [synopsis, ...desc] = lines[i].trim().split(/ {2,}/);
  desc.push(...lines.slice(i + 1, j).map((l) => l.trim()));
  return [`usage: tapegrad ${synopsis}`, ...desc.map((d) => `  ${d}`)].join('\n');
}

function parseArgs(argv: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  const bools = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const [k, inline] = eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    if (BOOL_FLAGS.has(k)) {
      if (inline !== undefined) throw new UsageError(`option ${k} takes no value`);
      bools.add(k);
    } else if (VALUE_FLAGS.has(k)) {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`option ${k} needs a value`);
      flags.set(k, [...(flags.get(k) ?? []), v]);
    } else throw new UsageError(`unknown option ${k}`);
  }
  return { positional, flags, bools };
}

const one = (p: Parsed, k: string): string | undefined => {
  const v = p.flags.get(k);
  if (v && v.length > 1) throw new UsageError(`option ${k} given ${v.length} times`);
  return v?.[0];
};

function need(p: Parsed, n: number, what: string): string[] {
  if (p.positional.length < n) throw new UsageError(`missing ${what}`);
  if (p.positional.length > n) throw new UsageError(`unexpected argument '${p.positional[n]}'`);
  return p.positional;
}

function checkFlags(p: Parsed, allowed: string[]): void {
  for (const k of p.flags.keys()) if (!allowed.includes(k)) throw new UsageError(`unknown option ${k}`);
  for (const k of p.bools) if (!allowed.includes(k)) throw new UsageError(`unknown option ${k}`);
}

async function load(p: Parsed, path: string) {
  if (isOnnxPath(path)) {
    for (const k of ['--weights', '--report', '--lenient'])
      if (p.flags.has(k) || p.bools.has(k))
        throw new UsageError(
          `option ${k} is for Keras models; ${path} is an ONNX model (its weights are in the file)`,
        );
    return loadOnnxForCli(path);
  }
  const weights = one(p, '--weights');
  const src: ModelSource = weights ? { config: path, weights } : path;
  const m = await keras.loadModel(src, { strict: !p.bools.has('--lenient') });
  if (p.bools.has('--report')) io.err(`${String(m.loadReport)}\n`);
  return m;
}

/** An input array from .npy or .json (nested lists, or {data, shape}); errors name the --input file (exit 1). */
function readInput(path: string): Tensor {
  try {
    return readInputFile(path);
  } catch (e) {
    if (!(e instanceof TapegradError)) throw e;
    // the reader's own prefix (`npy <path>: `, `input <path>: `, the file name) gives way to the flag and the file
    const base = path.split(/[\\/]/).pop();
    const pre =
      [`npy ${path}: `, `input ${path}: `, `${path}: `, `${base}: `].find((x) => e.message.startsWith(x)) ??
      '';
    const m = e.message.slice(pre.length);
    e.message = `--input ${path}: ${m}`;
    throw e;
  }
}

function readInputFile(path: string): Tensor {
  if (/\.json$/i.test(path)) {
    // NOTE: read through loadSource like every reader: a FIFO, device or folder is refused at once, never waited on.
    const text = new TextDecoder().decode(loadSource(path, 'input', { maxBytes: 1024 ** 3 }).bytes);
    const v = parseJsonSafe(text, path) as unknown;
    const o = v as { data?: unknown; shape?: unknown };
    if (o && typeof o === 'object' && !Array.isArray(o) && Array.isArray(o.data) && Array.isArray(o.shape))
      return tensor(o.data as number[], o.shape as number[]);
    if (!Array.isArray(v))
      throw new ValueError(`${path}: expected a nested array of numbers or {"data": [...], "shape": [...]}`);
    return tensor(v as number[]);
  }
  const t = readNpy(path);
  return t.dtype === 'float64' ? tensor(Float32Array.from(t.data), t.shape) : t;
}

function writeOutput(path: string | undefined, ys: Tensor[]): void {
  if (!path) {
    const arr = ys.map((y) => y.toArray());
    io.out(`${JSON.stringify(arr.length === 1 ? arr[0] : arr)}\n`);
    return;
  }
  if (/\.json$/i.test(path)) {
    const arr = ys.map((y) => ({ shape: y.shape, data: Array.from(y.data) }));
    writeFileAtomic(path, JSON.stringify(arr.length === 1 ? arr[0] : arr), 'tapegrad predict --output');
    return;
  }
  if (ys.length === 1) return writeNpy(path, ys[0]);
  // several outputs: y.npy → y_0.npy, y_1.npy, ...
  ys.forEach((y, i) => writeNpy(path.replace(/(\.npy)?$/i, `_${i}.npy`), y));
}

async function main(argv: string[]): Promise<number> {
  const cmd = argv[0];
  if (cmd === undefined) {
    // NOTE: no command is a usage mistake (exit 2, usage on stderr), as with any other one.
    io.err(`${USAGE}\n`);
    return 2;
  }
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
    const topic = argv[1] && commandUsage(argv[1]);
    io.out(`${topic || USAGE}\n`);
    return 0;
  }
  if (cmd === 'version' || cmd === '--version' || cmd === '-v') {
    io.out(`tapegrad ${packageVersion()}\n`);
    return 0;
  }
  const p = parseArgs(argv.slice(1));
  if (p.bools.has('--help') || p.bools.has('-h')) {
    const u = commandUsage(cmd);
    if (!u) throw new UsageError(`unknown command '${cmd}'`);
    io.out(`${u}\n`);
    return 0;
  }
  switch (cmd) {
    case 'summary': {
      checkFlags(p, ['--weights', '--report', '--lenient']);
      const [path] = need(p, 1, 'the model file (tapegrad summary <model>)');
      const m = await load(p, path);
      m.summary({ print: (l: string) => io.out(`${l}\n`) });
      return 0;
    }
    case 'predict': {
      checkFlags(p, ['--input', '--output', '--weights', '--batch-size', '--report', '--lenient']);
      const [path] = need(p, 1, 'the model file (tapegrad predict <model> --input x.npy)');
      const inputs = p.flags.get('--input');
      if (!inputs?.length)
        throw new UsageError('predict needs --input <x.npy|x.json> (once per model input)');
      const output = one(p, '--output');
      if (output !== undefined && !/\.(npy|json)$/i.test(output))
        throw new UsageError(`--output '${output}' must end in .npy or .json`);
      const bs = one(p, '--batch-size');
      const batchSize = bs === undefined ? undefined : Number(bs);
      if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0))
        throw new UsageError(`--batch-size must be a positive integer, got '${bs}'`);
      const m = await load(p, path);
      const xs = inputs.map(readInput);
      const specs = m.inputSpecs();
      if (specs && specs.length !== xs.length)
        throw new UsageError(
          `the model takes ${specs.length} input${specs.length === 1 ? '' : 's'} but --input was given ${xs.length} time${xs.length === 1 ? '' : 's'} (once per model input)`,
        );
      xs.forEach((x, i) => assertFiniteData(x, `--input ${inputs[i]}`, 'tapegrad predict'));
      const y = m.predict(xs.length === 1 ? xs[0] : xs, batchSize ? { batchSize } : {});
      writeOutput(output, Array.isArray(y) ? y : [y]);
      return 0;
    }
    case 'inspect': {
      checkFlags(p, ['--json']);
      const [path] = need(p, 1, 'the file (tapegrad inspect <file>)');
      if (isOnnxPath(path)) {
        const o = inspectOnnx(path);
        io.out(p.bools.has('--json') ? `${JSON.stringify(o, null, 2)}\n` : `${formatOnnxInspect(o)}\n`);
        return 0;
      }
      const r = await keras.inspect(path);
      io.out(p.bools.has('--json') ? `${JSON.stringify(r, null, 2)}\n` : `${keras.formatInspect(r)}\n`);
      return 0;
    }
    case 'convert': {
      checkFlags(p, ['--weights', '--report', '--lenient', '--batch-size']);
      const [path, out] = need(
        p,
        2,
        'the model and the output file (tapegrad convert <model> <out.h5|out.keras|out.onnx>)',
      );
      if (!/\.(h5|hdf5|keras|onnx)$/i.test(out))
        throw new UsageError(`output '${out}' must end in .h5, .keras or .onnx`);
      const bs = one(p, '--batch-size');
      if (bs !== undefined && !isOnnxPath(out))
        throw new UsageError(
          `--batch-size applies to .onnx output only (it fixes the batch axis), not '${out}'`,
        );
      const batch = bs === undefined ? 1 : Number(bs);
      if (!(Number.isInteger(batch) && batch > 0))
        throw new UsageError(`--batch-size must be a positive integer, got '${bs}'`);
      const m = await load(p, path);
      if (isOnnxPath(out)) await convertToOnnx(m, out, bs === undefined ? undefined : batch);
      else if (isOnnxPath(path)) throw new UsageError(`an ONNX model converts to .onnx only, not '${out}'`);
      else await keras.saveModel(m as Awaited<ReturnType<typeof keras.loadModel>>, out);
      io.out(`wrote ${out}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command '${cmd}'`);
  }
}

/**
 * Run the CLI with `argv` (the arguments after `tapegrad`) and return its exit code: 0 done, 1 a file or model
 * problem (a tapegrad error, message on `err`), 2 a usage mistake.
 */
export async function runCli(argv: string[], to?: CliIO): Promise<number> {
  if (to) io = to;
  try {
    return await main(argv);
  } catch (e) {
    return report(e);
  } finally {
    await closeHdf5Worker();
  }
}

function report(e: unknown): number {
  if (e instanceof UsageError) {
    io.err(`tapegrad: ${e.message}\n(try tapegrad --help)\n`);
    return 2;
  }
  if (e instanceof WeightsOnlyError) {
    io.err(
      `tapegrad: ${e.file} is a weights-only file (${e.format}) with no architecture; give the architecture and these weights: tapegrad <command> <architecture.json> --weights ${e.file}\n`,
    );
    return 1;
  }
  if (e instanceof UnknownLayerError && e.layers.length) {
    io.err(
      `tapegrad: ${e.message}\n\nA starting point for '${e.layers[0].layerName}':\n\n${keras.layerSkeleton(e.layers[0])}\n`,
    );
    return 1;
  }
  if (e instanceof TapegradError) {
    io.err(`tapegrad: ${e.message}\n`);
    return 1;
  }
  io.err(`tapegrad: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
  return 1;
}
