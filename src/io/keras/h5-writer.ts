// A minimal HDF5 writer over h5wasm (in memory), with string attributes stored the way h5py stores bytes.
import { FileError } from '../errors.js';

type H5Module = any;

let loaded: Promise<H5Module> | null = null;
/** h5wasm's ESM build, loaded once (our own data only: no untrusted bytes are parsed here). */
function h5(): Promise<H5Module> {
  if (!loaded)
    loaded = (async () => {
      try {
        const m: H5Module = await import('h5wasm');
        await m.ready;
        return m;
      } catch (e) {
        loaded = null;
        throw new FileError(`hdf5 writer: cannot load h5wasm (${(e as Error).message})`);
      }
    })();
  return loaded;
}

/** Largest attribute Keras writes in one piece; longer string lists are split into `name0`, `name1`, ... */
const ATTR_LIMIT = 64_000;
let serial = 0;

/**
 * Builds one HDF5 file in memory. Strings are fixed-length ASCII (h5py reads them back as `bytes`, which is what
 * legacy Keras loaders decode); numeric datasets keep their typed array's element type.
 */
export class H5Writer {
  private constructor(
    private readonly mod: H5Module,
    private readonly file: any,
    private readonly path: string,
  ) {}

  static async create(): Promise<H5Writer> {
    const mod = await h5();
    // NOTE: no `process` in browsers (the writer also runs in a page's worker); the pid only keeps names apart.
    const pid = (globalThis as { process?: { pid?: number } }).process?.pid ?? 0;
    const path = `/tapegrad-export-${pid}-${serial++}.h5`;
    return new H5Writer(mod, new mod.File(path, 'w'), path);
  }

  /** Create a group (and its parents). */
  group(path: string): void {
    const parts = path.split('/').filter(Boolean);
    let cur = '';
    for (const p of parts) {
      cur += `/${p}`;
      if (!this.file.get(cur)) this.file.create_group(cur);
    }
  }

  private obj(path: string): any {
    const o = path === '/' ? this.file : this.file.get(path);
    if (!o) throw new FileError(`hdf5 writer: no object at ${path}`);
    return o;
  }

  /** A scalar string attribute (ASCII; other characters must be escaped by the caller). */
  attrString(path: string, name: string, value: string): void {
    if ([...value].some((ch) => ch.charCodeAt(0) > 0x7f))
      throw new FileError(`hdf5 writer: attribute ${name} must be ASCII`);
    if (value.length > ATTR_LIMIT * 16)
      throw new FileError(
        `hdf5 writer: attribute ${name} is ${value.length} bytes, too large for an HDF5 header`,
      );
    this.obj(path).create_attribute(name, value, [], `A${Math.max(1, value.length + 1)}`);
  }

  /** A string-list attribute; split into `name0`, `name1`, ... when too large (as Keras does). */
  attrStrings(path: string, name: string, values: string[]): void {
    const width = Math.max(1, ...values.map((v) => v.length + 1));
    const o = this.obj(path);
    // NOTE: Keras writes an empty list as an empty float64 array (h5py's default for `[]`).
    if (!values.length) return o.create_attribute(name, new Float64Array(0), [0], '<d');
    if (values.length * width <= ATTR_LIMIT) {
      o.create_attribute(name, values, [values.length], `A${width}`);
      return;
    }
    const per = Math.max(1, Math.floor(ATTR_LIMIT / width));
    for (let k = 0, i = 0; i < values.length; k++, i += per)
      o.create_attribute(
        `${name}${k}`,
        values.slice(i, i + per),
        [Math.min(per, values.length - i)],
        `A${width}`,
      );
  }

  /** A numeric dataset (float32, float64 or int32 from the typed array). */
  dataset(path: string, data: Float32Array | Float64Array | Int32Array, shape: number[]): void {
    const slash = path.lastIndexOf('/');
    const parent = path.slice(0, slash) || '/';
    this.group(parent);
    this.obj(parent).create_dataset({ name: path.slice(slash + 1), data, shape });
  }

  /** Close the file and return its bytes. */
  finish(): Uint8Array {
    this.file.close();
    const bytes: Uint8Array = this.mod.FS.readFile(this.path);
    this.mod.FS.unlink(this.path);
    return new Uint8Array(bytes);
  }

  /** Drop the file without reading it (after an error). */
  abort(): void {
    try {
      this.file.close();
      this.mod.FS.unlink(this.path);
    } catch {
      // already gone
    }
  }
}
