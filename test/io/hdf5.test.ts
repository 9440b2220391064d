// openHdf5: attributes (incl. chunked name0/name1), datasets and dtype conversion, and safe failure on bad files.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileError, FormatError, closeHdf5Worker, openHdf5, readKerasFile } from '../../src/io/index.js';
import { buildH5 } from './h5-build.js';
import { kerasFixturesDir } from './fixtures-dir.js';

afterAll(() => closeHdf5Worker());

describe('openHdf5 on files written by h5wasm', () => {
  it('lists groups, reads string and split string-array attributes, and converts dtypes', async () => {
    const bytes = await buildH5((f) => {
      f.create_attribute('title', 'hello');
      const g = f.create_group('g');
      g.create_attribute('names0', ['a', 'b']);
      g.create_attribute('names1', ['c']);
      g.create_group('inner');
      g.create_dataset({ name: 'f64', data: new Float64Array([1.5, 2, 3, 4]), shape: [2, 2] });
      g.create_dataset({ name: 'i64', data: new BigInt64Array([1n, -2n, 2147483647n]), shape: [3] });
      g.create_dataset({ name: 'u8', data: new Uint8Array([0, 200, 255]), shape: [3] });
      g.create_dataset({ name: 'i16', data: new Int16Array([-300, 7]), shape: [2] });
      g.create_dataset({ name: 'big', data: new BigInt64Array([1n, 2n ** 40n]), shape: [2] });
    });
    const f = await openHdf5(bytes, { name: 'made.h5' });
    expect(f.attrString('/', 'title')).toBe('hello');
    expect(f.groups('/')).toEqual(['g']);
    expect(f.groups('/g')).toEqual(['inner']);
    expect(f.children('/g').sort()).toEqual(['big', 'f64', 'i16', 'i64', 'inner', 'u8']);
    expect(f.attrStrings('/g', 'names')).toEqual(['a', 'b', 'c']);
    expect(f.attrStrings('/g', 'absent')).toBeUndefined();
    const d = f.read('/g/f64');
    expect([d.dtype, d.shape, Array.from(d.data)]).toEqual(['float64', [2, 2], [1.5, 2, 3, 4]]);
    expect(Array.from(f.read('g/i64').data)).toEqual([1, -2, 2147483647]);
    expect(f.read('/g/i64').sourceDtype).toBe('int64');
    expect(Array.from(f.read('/g/u8').data)).toEqual([0, 200, 255]);
    expect(Array.from(f.read('/g/i16').data)).toEqual([-300, 7]);
    expect(() => f.read('/g/big')).toThrow(
      /made.h5: dataset \/g\/big: int64 value 1099511627776 at index 1 does not fit in int32/,
    );
    expect(() => f.read('/g/nope')).toThrow(/made.h5: no object at HDF5 path \/g\/nope/);
    expect(() => f.read('/g/inner')).toThrow(/is a group, not a dataset/);
    expect(f.tensor('/g/f64').shape).toEqual([2, 2]);
  });

  it('refuses a dataset whose header claims 2^40 elements before allocating, and still reads the rest', async () => {
    const bytes = await buildH5((f) => {
      f.create_dataset({ name: 'ok', data: new Float32Array([1, 2]), shape: [2] });
      f.create_dataset({
        name: 'huge',
        data: new Float32Array([1, 2]),
        shape: [2],
        maxshape: [null],
        chunks: [2],
      });
      (f.get('huge') as any).resize([2 ** 40]);
    });
    const f = await openHdf5(bytes, { name: 'huge.h5' });
    expect(Array.from(f.read('/ok').data)).toEqual([1, 2]);
    expect(f.datasetInfo('/huge').shape).toEqual([2 ** 40]);
    expect(() => f.read('/huge')).toThrow(
      /huge.h5: dataset \/huge of shape \[1099511627776\] refused: its header claims 4398046511104 bytes/,
    );
  });
});

const root = kerasFixturesDir();
describe.skipIf(!root)('openHdf5 on damaged copies of a real Keras file', () => {
  const good = () => new Uint8Array(readFileSync(join(root!, 'dl4j-cnn-batchnorm', 'cnn_batch_norm.h5')));

  it('bad magic: FormatError before HDF5 is even called', async () => {
    const b = good();
    b[1] = 0;
    await expect(openHdf5(b, { name: 'bad.h5' })).rejects.toThrow(
      /bad.h5: not an HDF5 file \(no HDF5 signature/,
    );
  });

  it('truncation: FormatError naming the file and HDF5 reason', async () => {
    const b = good().subarray(0, 5000);
    await expect(openHdf5(b, { name: 'cut.h5' })).rejects.toThrow(/cut.h5: .*truncated file: eof = 5000/);
    await expect(readKerasFile(b, { name: 'cut.h5' })).rejects.toThrow(FormatError);
  });

  it('a patched dataspace claiming 2^40 rows is refused, naming the dataset', async () => {
    // kernel:0 of conv2d_1 has dims (3,3,3,1), stored as 8-byte little-endian sizes in its dataspace message.
    const b = good();
    const pat = new Uint8Array(32);
    const dv = new DataView(pat.buffer);
    [3, 3, 3, 1].forEach((d, i) => dv.setBigUint64(8 * i, BigInt(d), true));
    const at = Buffer.from(b).indexOf(Buffer.from(pat));
    expect(at).toBeGreaterThan(0);
    new DataView(b.buffer).setBigUint64(at, 2n ** 40n, true);
    new DataView(b.buffer).setBigUint64(at + 32, 2n ** 40n, true); // the max dims follow the dims
    await expect(readKerasFile(b, { name: 'patched.h5' })).rejects.toThrow(
      // HDF5 itself notices that the contiguous storage cannot hold the claimed size when the dataset is opened.
      /patched.h5: HDF5 could not read \/model_weights\/conv2d_1\/conv2d_1\/kernel:0: .*invalid dataset size/,
    );
  });

  it('random byte corruption never escapes as anything but FormatError, and the reader recovers', async () => {
    let seed = 12345;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let k = 0; k < 8; k++) {
      const b = good();
      for (let j = 0; j < 30; j++) b[rnd() % b.length] = rnd() & 255;
      try {
        const kf = await readKerasFile(b, { name: `fuzz${k}.h5` });
        expect(kf.layers.length).toBeGreaterThan(0);
      } catch (e) {
        expect(e).toBeInstanceOf(FormatError);
        expect((e as Error).message).toMatch(new RegExp(`^fuzz${k}.h5`));
      }
    }
    const ok = await readKerasFile(good(), { name: 'after.h5' });
    expect(ok.layers.map((l) => l.name)).toEqual([
      'conv2d_1',
      'batch_normalization_1',
      'activation_1',
      'conv2d_2',
      'flatten_1',
      'dense_1',
    ]);
  });

  it('a read that exceeds its time limit is a FormatError, and the replaced worker reads the next file', async () => {
    await closeHdf5Worker(); // the next request has to start a worker and load h5wasm (hundreds of ms)
    await expect(openHdf5(good(), { name: 'slow.h5', timeoutMs: 1 })).rejects.toThrow(
      /slow.h5: HDF5 reading did not finish within 1 ms/,
    );
    const f = await openHdf5(good(), { name: 'next.h5' });
    expect(f.groups('/')).toEqual(['model_weights']);
  });

  it('a missing file is a FileError naming it', async () => {
    await expect(openHdf5('/nonexistent/dir/x.h5')).rejects.toThrow(FileError);
  });
});
