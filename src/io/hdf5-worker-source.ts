// The JavaScript run inside the HDF5 worker thread: opens one file with h5wasm and returns its whole tree as data.
//
// NOTE: this is a plain-JS string (run with `new Worker(src, { eval: true })`) rather than a separate module file, so
// it survives bundling; it is kept small and only touches h5wasm's documented Module functions. Every HDF5 call runs
// here, never in the caller's thread: a corrupt file that makes the WASM code abort or loop only costs this worker,
// which the caller then terminates and replaces.

/** Message the caller sends: one file's bytes and the limits to apply. */
export interface Hdf5WorkerRequest {
  id: number;
  bytes: ArrayBuffer;
  /** Largest dataset (in bytes) whose data may be read. */
  maxDatasetBytes: number;
  /** Largest sum of dataset bytes read from this file. */
  maxTotalBytes: number;
  /** Largest attribute (in bytes) whose value may be read. */
  maxAttrBytes: number;
  /** Most objects (groups + datasets + links) to visit before giving up. */
  maxObjects: number;
  /** Path prefixes whose dataset values are not read (metadata only), e.g. `/optimizer_weights`. */
  skipData: string[];
}

/** One attribute as sent back: its value, or why it could not be read. */
export interface Hdf5WireAttr {
  name: string;
  value?: unknown;
  error?: string;
}

/** Element type of a dataset as HDF5 describes it. */
export interface Hdf5WireType {
  /** HDF5 class: 0 integer, 1 float, 3 string, 8 enum, others unsupported. */
  cls: number;
  size: number;
  signed: boolean;
  vlen: boolean;
}

/** One object of the file tree as sent back. */
export interface Hdf5WireObject {
  path: string;
  kind: 'group' | 'dataset' | 'link' | 'other';
  attrs: Hdf5WireAttr[];
  /** Child names in HDF5 iteration order (groups only). */
  children?: string[];
  shape?: number[] | null;
  type?: Hdf5WireType;
  filters?: string[];
  /** Raw little-endian element bytes (numeric datasets). */
  raw?: ArrayBuffer;
  /** Decoded strings (string datasets). */
  strings?: string[];
  /** Why the data was not read (limit, unsupported type, skipped). */
  refused?: string;
  /** Why the dataset could not be read at all. */
  error?: string;
}

export type Hdf5WorkerResponse =
  | { id: number; ok: true; objects: Hdf5WireObject[] }
  | { id: number; ok: false; message: string; path: string; log: string[]; aborted: boolean };

/**
 * The reader itself: `readFile(req, state)` walks one file with h5wasm and returns `{objects, transfer}`. It expects
 * `M` (the h5wasm Module) and `h5` (the h5wasm namespace) in scope; the Node worker below and the browser's in-thread
 * reader (hdf5-pool.browser.ts) each provide them.
 */
export const HDF5_READER_SOURCE = String.raw`
function fmtErr(e) { return e && e.message ? String(e.message) : String(e); }

function readFile(req, state) {
  const objects = [];
  const transfer = [];
  const fname = '/tg_in_' + req.id + '.h5';
  M.FS.writeFile(fname, new Uint8Array(req.bytes));
  let fid = -1n;
  try {
    fid = M.open(fname, M.H5F_ACC_RDONLY, false, -1, -1);
    if (fid < 0n) throw new Error('HDF5 could not open the file');
    const fileSize = req.bytes.byteLength;
    const visit = (path, depth) => {
      if (objects.length >= req.maxObjects) throw new Error('more than ' + req.maxObjects + ' objects in the file');
      if (depth > 64) throw new Error('groups nest deeper than 64 levels at ' + path);
      state.path = path;
      const type = path === '/' ? M.H5G_GROUP : M.get_type(fid, path);
      const obj = { path, kind: 'other', attrs: [] };
      objects.push(obj);
      if (type === M.H5G_LINK || type === M.H5G_UDLINK) { obj.kind = 'link'; return; }
      if (type !== M.H5G_GROUP && type !== M.H5G_DATASET) return;
      obj.attrs = readAttrs(fid, path, req);
      if (type === M.H5G_GROUP) {
        obj.kind = 'group';
        const names = M.get_names(fid, path, false);
        obj.children = Array.from(names);
        for (const n of obj.children) visit(path === '/' ? '/' + n : path + '/' + n, depth + 1);
        return;
      }
      obj.kind = 'dataset';
      readDataset(fid, path, obj, req, fileSize, state, transfer);
    };
    visit('/', 0);
  } finally {
    if (fid >= 0n) { try { M.close_file(fid); } catch (e) { /* already failing */ } }
    try { M.FS.unlink(fname); } catch (e) { /* not written */ }
  }
  return { objects, transfer };
}

function readAttrs(fid, path, req) {
  const out = [];
  const names = Array.from(M.get_attribute_names(fid, path));
  for (const name of names) {
    try {
      const md = M.get_attribute_metadata(fid, path, name);
      const nbytes = md.shape ? md.size * md.shape.reduce((a, b) => a * b, 1) : 0;
      if (nbytes > req.maxAttrBytes) { out.push({ name, error: 'attribute claims ' + nbytes + ' bytes, above the limit of ' + req.maxAttrBytes }); continue; }
      const v = new h5.Group(fid, path).get_attribute(name, false);
      out.push({ name, value: v });
    } catch (e) {
      out.push({ name, error: fmtErr(e) });
    }
  }
  return out;
}

function readDataset(fid, path, obj, req, fileSize, state, transfer) {
  const md = M.get_dataset_metadata(fid, path);
  obj.shape = md.shape ? Array.from(md.shape) : null;
  obj.type = { cls: md.type, size: md.size, signed: !!md.signed, vlen: !!md.vlen };
  let filters = [];
  try { filters = Array.from(M.get_dataset_filters(fid, path)).map((f) => String(f.name || f.id)); } catch (e) { filters = ['?']; }
  obj.filters = filters;
  if (obj.shape === null) return;
  for (const d of obj.shape) if (!Number.isSafeInteger(d) || d < 0) { obj.refused = 'dimension ' + d + ' is not a valid size'; return; }
  const count = obj.shape.reduce((a, b) => a * b, 1);
  const nbytes = count * md.size;
  if (!Number.isSafeInteger(nbytes) || nbytes > req.maxDatasetBytes) { obj.refused = 'its header claims ' + nbytes + ' bytes, above the limit of ' + req.maxDatasetBytes; return; }
  if (filters.length === 0 && !md.vlen && nbytes > fileSize) { obj.refused = 'its header claims ' + nbytes + ' bytes of uncompressed data but the whole file holds ' + fileSize; return; }
  if (req.skipData.some((p) => path === p || path.startsWith(p + '/'))) { obj.refused = 'skipped'; return; }
  if (state.total + nbytes > req.maxTotalBytes) { obj.refused = 'reading it would pass the limit of ' + req.maxTotalBytes + ' bytes for the whole file'; return; }
  const numeric = md.type === 0 || md.type === 1 || md.type === 8;
  if (md.type === 3) {
    try { const v = new h5.Dataset(fid, path).value; obj.strings = Array.isArray(v) ? v.map(String) : [String(v)]; }
    catch (e) { obj.error = fmtErr(e); }
    state.total += nbytes;
    return;
  }
  if (!numeric || md.vlen) { obj.refused = 'unsupported HDF5 type class ' + md.type; return; }
  state.total += nbytes;
  if (nbytes === 0) { obj.raw = new ArrayBuffer(0); return; }
  const ptr = M._malloc(nbytes);
  if (!ptr) { obj.refused = 'could not allocate ' + nbytes + ' bytes'; return; }
  try {
    const status = M.get_dataset_data(fid, path, null, null, null, BigInt(ptr));
    if (status < 0) { obj.error = 'HDF5 could not read the data (truncated or corrupt storage)'; return; }
    const copy = M.HEAPU8.slice(ptr, ptr + nbytes);
    obj.raw = copy.buffer;
    transfer.push(copy.buffer);
  } finally {
    M._free(ptr);
  }
}

`;

export const HDF5_WORKER_SOURCE =
  String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const log = [];
const keep = (...args) => { log.push(args.map(String).join(' ')); if (log.length > 400) log.shift(); };
// emscripten binds console.error when the module loads: route HDF5's diagnostics into 'log' instead of stderr.
console.error = keep; console.warn = keep; console.log = keep; console.info = keep;
let h5 = null;
let M = null;
const ready = import(workerData.h5url).then(async (mod) => {
  h5 = mod.default && mod.default.File ? mod.default : mod;
  M = await h5.ready;
});

` +
  HDF5_READER_SOURCE +
  String.raw`
parentPort.on('message', async (req) => {
  try {
    await ready;
  } catch (e) {
    parentPort.postMessage({ id: req.id, ok: false, message: 'cannot load h5wasm: ' + fmtErr(e), path: '', log: [], aborted: true });
    return;
  }
  log.length = 0;
  const state = { path: '/', total: 0 };
  try {
    const r = readFile(req, state);
    parentPort.postMessage({ id: req.id, ok: true, objects: r.objects }, r.transfer);
  } catch (e) {
    const aborted = e instanceof WebAssembly.RuntimeError || /Aborted/.test(fmtErr(e));
    parentPort.postMessage({ id: req.id, ok: false, message: fmtErr(e), path: state.path, log: log.slice(-60), aborted });
  }
});
`;
