// Test helper: writes small HDF5 files with h5wasm in this process (in-memory FS) and returns their bytes.
import h5wasm from 'h5wasm';

let n = 0;

/** Run `fill` on a new HDF5 file and return the file's bytes. */
export async function buildH5(fill: (f: InstanceType<typeof h5wasm.File>) => void): Promise<Uint8Array> {
  const M = await h5wasm.ready;
  const name = `/build_${process.pid}_${n++}.h5`;
  const f = new h5wasm.File(name, 'w');
  try {
    fill(f);
  } finally {
    f.close();
  }
  const bytes = M.FS.readFile(name) as Uint8Array;
  M.FS.unlink(name);
  return new Uint8Array(bytes);
}
