// The CLI's own surface, without the Keras fixtures: --version/-v, --help/-h after any command, no arguments is a
// usage error (exit 2), weights-only files name the CLI's --weights option, predict checks the number of inputs and
// NaN/Inf in them (naming the --input file), and --output JSON is written atomically. Option parsing: unknown
// options by name, empty values, flags that do not apply (.onnx models, non-.onnx convert) are usage errors (exit 2);
// bad --input content names the flag and file (exit 1).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { closeHdf5Worker } from '../../src/io/hdf5.js';
import { H5Writer } from '../../src/io/keras/h5-writer.js';
import { runCli } from '../../src/cli/main.js';
import { localFixtures } from '../io/fixtures-dir.js';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
/** The bin itself, as a child process (slow on a busy machine: used twice). */
const spawnBin = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
/** The same command line in-process, output captured. */
const run = async (...args: string[]) => {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
};
const tmp = mkdtempSync(join(tmpdir(), 'tapegrad-cli-h-'));
const modelPath = join(tmp, 'm.h5');
const weightsPath = join(tmp, 'w.h5');

beforeAll(async () => {
  const m = tg.sequential({ layers: [tg.layers.dense({ units: 2, inputShape: [3], name: 'd' })] });
  await tg.keras.saveModel(m, modelPath);
  // a legacy weights-only file (Keras 2 `model.save_weights('w.h5')`): layer_names at the root, no model_config
  const w = await H5Writer.create();
  w.attrStrings('/', 'layer_names', ['d']);
  w.attrString('/', 'backend', 'tensorflow');
  w.attrString('/', 'keras_version', '2.1.6');
  w.group('/d');
  w.attrStrings('/d', 'weight_names', ['d/kernel:0', 'd/bias:0']);
  w.dataset('/d/d/kernel:0', new Float32Array(6), [3, 2]);
  w.dataset('/d/d/bias:0', new Float32Array(2), [2]);
  writeFileSync(weightsPath, w.finish());
});
afterAll(() => closeHdf5Worker());

describe('tapegrad CLI surface', () => {
  it('the bin: -v prints the version; no arguments prints usage on stderr and exits 2', () => {
    const v = spawnBin('-v');
    expect(v.code, v.err).toBe(0);
    expect(v.out.trim()).toBe(`tapegrad ${pkg.version}`);
    const none = spawnBin();
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/^usage: tapegrad <command>/);
    expect(none.out).toBe('');
  }, 60_000);

  it('--version, -v and version print the package version', async () => {
    for (const a of ['--version', '-v', 'version']) {
      const r = await run(a);
      expect(r.code, a).toBe(0);
      expect(r.out.trim(), a).toBe(`tapegrad ${pkg.version}`);
    }
  });

  it('--help and -h work alone and after every command; no arguments prints usage and exits 2', async () => {
    for (const a of [['--help'], ['-h'], ['help']]) {
      const r = await run(...a);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^usage: tapegrad <command>/);
    }
    for (const cmd of ['summary', 'predict', 'inspect', 'convert'])
      for (const h of ['--help', '-h']) {
        const r = await run(cmd, h);
        expect(r.code, `${cmd} ${h}: ${r.err}`).toBe(0);
        expect(r.out, `${cmd} ${h}`).toMatch(new RegExp(`^usage: tapegrad ${cmd} `));
      }
    const none = await run();
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/^usage: tapegrad <command>/);
    expect(none.out).toBe('');
  });

  it('a weights-only .h5 given as the model names the CLI --weights option', async () => {
    for (const cmd of ['summary', 'predict']) {
      const r = await run(cmd, weightsPath, ...(cmd === 'predict' ? ['--input', 'x.json'] : []));
      expect(r.code, r.err).toBe(1);
      expect(r.err).toMatch(
        /w\.h5 is a weights-only file \(h5-weights\) with no architecture; give the architecture and these weights: tapegrad <command> <architecture\.json> --weights .*w\.h5/,
      );
      expect(r.err).not.toMatch(/keras\.loadModel|loadWeights/);
    }
  });

  it('option parsing: unknown options by name, empty values and values on switches are usage errors', async () => {
    for (const [args, msg] of [
      [['summary', modelPath, '--bogus'], /tapegrad: unknown option --bogus\n/],
      [['summary', modelPath, '-x'], /tapegrad: unknown option -x\n/],
      [['summary', modelPath, '--report=yes'], /option --report takes no value/],
      [['predict', modelPath, '--input='], /option --input needs a value/],
      [['predict', modelPath, '--input', ''], /option --input needs a value/],
    ] as [string[], RegExp][]) {
      const r = await run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(msg);
    }
  });

  it('--weights, --report and --lenient are refused for an .onnx model, naming the flag', async () => {
    const onnx = join(localFixtures, 'onnx', 'mlp.onnx');
    for (const flag of [['--weights', weightsPath], ['--report'], ['--lenient']]) {
      const r = await run('summary', onnx, ...flag);
      expect(r.code, flag[0]).toBe(2);
      expect(r.err).toContain(`option ${flag[0]} is for Keras models; ${onnx} is an ONNX model`);
      expect(r.out).toBe('');
    }
  });

  it('--output must be .npy or .json; convert --batch-size only for .onnx output', async () => {
    const x = join(tmp, 'x1.json');
    writeFileSync(x, JSON.stringify([[1, 2, 3]]));
    const txt = join(tmp, 'y.txt');
    const r = await run('predict', modelPath, '--input', x, '--output', txt);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--output '${txt}' must end in .npy or .json`);
    expect(readdirSync(tmp)).not.toContain('y.txt');
    const h5 = join(tmp, 'again.h5');
    const c = await run('convert', modelPath, h5, '--batch-size', '4');
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/--batch-size applies to \.onnx output only/);
    expect(readdirSync(tmp)).not.toContain('again.h5');
  });

  it('bad --input content exits 1 with the flag and the file named', async () => {
    const cases: [string, RegExp][] = [
      ['{bad', /not valid JSON/],
      ['[[1,2],[3]]', /ragged nested array/],
      ['"hello"', /expected a nested array of numbers/],
      ['{"data":["x"],"shape":[1]}', /expected a number/],
      ['{"data":[1,2],"shape":[-1,2]}', /invalid shape/],
    ];
    for (const [i, [text, msg]] of cases.entries()) {
      const f = join(tmp, `bad${i}.json`);
      writeFileSync(f, text);
      const r = await run('predict', modelPath, '--input', f);
      expect(r.code, text).toBe(1);
      expect(r.err, text).toContain(`tapegrad: --input ${f}: `);
      expect(r.err, text).toMatch(msg);
      expect(r.err, text).not.toContain(`${f}: ${f}`);
    }
    const junk = join(tmp, 'junk.npy');
    writeFileSync(junk, 'hello');
    const n = await run('predict', modelPath, '--input', junk);
    expect(n.code).toBe(1);
    expect(n.err).toContain(`tapegrad: --input ${junk}: not a .npy file`);
  });

  it('command help: the synopsis on the usage line, the description below it', async () => {
    const r = await run('summary', '--help');
    expect(r.out).toBe(
      "usage: tapegrad summary <model> [--weights <w.h5>]\n  print the model's layers, shapes and parameter counts\n",
    );
    const c = await run('help', 'convert');
    expect(c.out).toMatch(
      /^usage: tapegrad convert <model> <out\.h5\|out\.keras\|out\.onnx>.*\n {2}save as .*ONNX \.onnx/,
    );
  });

  it('predict: the wrong number of --input, and NaN in an input, are named', async () => {
    const x = join(tmp, 'x.json');
    writeFileSync(x, JSON.stringify([[1, 2, 3]]));
    const two = await run('predict', modelPath, '--input', x, '--input', x);
    expect(two.code).toBe(2);
    expect(two.err).toMatch(/the model takes 1 input but --input was given 2 times/);
    const nanNpy = join(tmp, 'nan.npy');
    tg.writeNpy(
      nanNpy,
      tg.tensor([
        [1, 2, 3],
        [4, NaN, 6],
      ]),
    );
    const r = await run('predict', modelPath, '--input', nanNpy);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/tapegrad predict: --input .*nan\.npy has NaN at sample 1, feature \[1\]/);
    expect(r.out).toBe('');
    // --output JSON goes through the atomic writer: complete file, no temp left
    const out = join(tmp, 'y.json');
    expect((await run('predict', modelPath, '--input', x, '--output', out)).code).toBe(0);
    expect((JSON.parse(readFileSync(out, 'utf8')) as { shape: number[] }).shape).toEqual([1, 2]);
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
