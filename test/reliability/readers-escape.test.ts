// Readers never escape and never hang: FIFOs, devices and folders are refused at once (a child process runs every
// path-taking reader against them under a timeout); TF.js shard names that lead out of the model's folder through a
// symlink are refused without reading (or sizing) the outside file; a `.keras` config or an IDX gzip that inflates
// past its cap is refused early.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { strToU8, zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { KERAS_CONFIG_MAX_BYTES, readKeras3Zip } from '../../src/io/keras/zip.js';
import { runCli } from '../../src/cli/main.js';
import { closeHdf5Worker } from '../../src/io/hdf5.js';
import { readTfjsModel } from '../../src/io/tfjs.js';
import { ZipArchive } from '../../src/io/zip.js';

const here = dirname(fileURLToPath(import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'tg-escape-'));
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await closeHdf5Worker();
});

/** Run every reader on `target` in a child; returns what each one threw (a blocked reader never answers). */
function readAll(target: string, dir: string): { name: string; msg: string; typed: boolean }[] {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(here, 'helpers', 'read-special.ts'), target, dir],
    { encoding: 'utf8', timeout: 30_000 },
  );
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { name: string; msg: string; typed: boolean });
}
const READERS = 8;

describe('special files are refused at once', () => {
  it('a FIFO: every reader answers with an error naming it a FIFO (none blocks)', () => {
    const dir = join(tmp, 'fifo');
    mkdirSync(dir);
    const fifo = join(dir, 'pipe.bin');
    execFileSync('mkfifo', [fifo]);
    const got = readAll(fifo, dir);
    expect(got.map((g) => g.name).length, `readers that answered: ${got.map((g) => g.name)}`).toBe(READERS);
    for (const g of got) {
      expect(g.typed, `${g.name}: ${g.msg}`).toBe(true);
      expect(g.msg, g.name).toMatch(/pipe\.bin: a FIFO \(named pipe\), not a regular file/);
    }
  }, 60_000);

  it('a character device, a folder and a socket path are refused with their kind', async () => {
    expect(() => tg.readNpy('/dev/zero')).toThrow(/\/dev\/zero: a character device, not a regular file/);
    expect(() => tg.loadSafetensors(tmp)).toThrow(/a folder, not a regular file/);
    const net = await import('node:net');
    const sock = join(tmp, 's.sock');
    const server = net.createServer().listen(sock);
    await new Promise((r) => server.once('listening', r));
    try {
      expect(() => tg.readIdx(sock)).toThrow(/s\.sock: a socket, not a regular file/);
    } finally {
      server.close();
    }
  });

  it('the CLI refuses a FIFO given as the model or as --input at once', async () => {
    const fifo = join(tmp, 'x.json');
    execFileSync('mkfifo', [fifo]);
    const model = join(tmp, 'cli-model.keras');
    await tg.keras.saveModel(
      tg.sequential({ layers: [tg.layers.dense({ units: 1, inputShape: [2] })] }),
      model,
    );
    for (const args of [
      ['inspect', fifo],
      ['predict', model, '--input', fifo],
    ]) {
      let err = '';
      const code = await runCli(args, { out: () => {}, err: (t) => (err += t) });
      expect(code, `${args[0]}: ${err}`).toBe(1);
      expect(err).toMatch(/x\.json: a FIFO \(named pipe\), not a regular file/);
    }
  });
});

describe('TF.js shard paths stay inside the model folder', () => {
  const json = (paths: string[]) => ({
    modelTopology: { class_name: 'Sequential', config: { layers: [] } },
    weightsManifest: [{ paths, weights: [{ name: 'w', shape: [2], dtype: 'float32' }] }],
  });
  const outside = join(tmp, 'secret.bin');
  writeFileSync(outside, new Uint8Array(12345));
  const model = join(tmp, 'model');
  mkdirSync(join(model, 'real'), { recursive: true });
  writeFileSync(join(model, 'real', 'ok.bin'), new Uint8Array(new Float32Array([1, 2]).buffer));
  symlinkSync(outside, join(model, 'link.bin'));
  symlinkSync(tmp, join(model, 'up'));
  symlinkSync(join(model, 'real', 'ok.bin'), join(model, 'inner-link.bin'));
  const mj = join(model, 'model.json');

  it('a shard that is a symlink out of the folder, or sits in a symlinked folder, is refused unread', () => {
    for (const p of ['link.bin', 'up/secret.bin']) {
      let msg = '';
      try {
        readTfjsModel(json([p]), 'model.json', mj);
      } catch (e) {
        msg = (e as Error).message;
        expect(e).toBeInstanceOf(tg.TapegradError);
      }
      expect(msg, p).toMatch(/resolves outside the folder of model\.json \(through a symlink\); refused/);
      expect(msg, 'the outside file size must not leak').not.toMatch(/12345|12\.1 KiB/);
    }
  });

  it('shards inside the folder load, through a symlink inside it too', () => {
    for (const p of ['real/ok.bin', 'inner-link.bin']) {
      const f = readTfjsModel(json([p]), 'model.json', mj);
      expect(Array.from(f.layers[0].weights[0].data)).toEqual([1, 2]);
    }
    expect(() => readTfjsModel(json(['gone.bin']), 'model.json', mj)).toThrow(
      /'gone\.bin' does not exist beside model\.json/,
    );
  });
});

describe('inflation caps', () => {
  it(`a .keras whose config.json inflates past ${KERAS_CONFIG_MAX_BYTES / 1024 ** 2} MiB is refused before inflating`, async () => {
    const config = new Uint8Array(KERAS_CONFIG_MAX_BYTES + 1024).fill(0x20);
    config[0] = 0x7b; // '{' then spaces
    const zip = zipSync({ 'config.json': config, 'metadata.json': strToU8('{}') });
    const t0 = performance.now();
    await expect(readKeras3Zip(zip, 'bomb.keras')).rejects.toThrow(
      /bomb\.keras: entry 'config\.json' is 16\.0 MiB .* above the limit of 16\.0 MiB .* \(refused before inflating\)/,
    );
    console.log(`[reliability] .keras config bomb refused in ${(performance.now() - t0).toFixed(0)} ms`);
  });

  it('an entry whose deflate stream is longer than its declared size stops at the declared size', () => {
    const payload = new Uint8Array(8 * 1024 * 1024).fill(0x20);
    const zip = zipSync({ 'config.json': payload });
    // declare 100 bytes in the central directory (offset 24 of the entry) and the local header (offset 22)
    const dv = new DataView(zip.buffer);
    const cd = zip.length - 22 - (46 + 'config.json'.length);
    expect(dv.getUint32(cd, true)).toBe(0x02014b50);
    dv.setUint32(cd + 24, 100, true);
    dv.setUint32(22, 100, true);
    const a = new ZipArchive(zip, 'liar.keras');
    expect(() => a.read('config.json')).toThrow(
      /liar\.keras: entry 'config\.json': deflate data inflates to more than 100 bytes \(more than its declared size; corrupt or zip bomb\)/,
    );
  });

  it('an IDX gzip that inflates past what its header declares is refused after the header', () => {
    const header = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 10]); // uint8, dims [10]
    const body = new Uint8Array(16 * 1024 * 1024); // 16 MiB of zeros: a bomb of ~16 KiB compressed
    const gz = new Uint8Array(gzipSync(Buffer.concat([header, body])));
    expect(gz.length).toBeLessThan(200 * 1024);
    const t0 = performance.now();
    expect(() => tg.parseIdx(gz, 'bomb-idx1-ubyte.gz')).toThrow(
      /bomb-idx1-ubyte\.gz: gzip data inflates to more than 19 bytes \(more than its IDX header declares; refused\)/,
    );
    console.log(`[reliability] IDX gzip bomb refused in ${(performance.now() - t0).toFixed(0)} ms`);
    // a header asking for more than the limit is refused as soon as it is out
    const huge = new Uint8Array(gzipSync(new Uint8Array([0, 0, 8, 1, 0x90, 0, 0, 0]))); // dims [2415919104]
    expect(() => tg.parseIdx(huge, 'huge.gz')).toThrow(
      /huge\.gz: IDX dims \[2415919104\] need 2\.25 GiB .* above the limit of 2\.00 GiB/,
    );
    // the exact data still reads
    const ok = new Uint8Array(gzipSync(Buffer.concat([header, new Uint8Array(10).fill(7)])));
    expect(Array.from(tg.parseIdx(ok, 'ok.gz').data)).toEqual(new Array(10).fill(7));
  });
});
