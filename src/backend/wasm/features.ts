// Which WebAssembly features this engine has, asked with tiny probe modules (no Node built-ins: node.ts and
// browser.ts both decide with these which kernel build to load).

// A module using one v128 instruction (i8x16.popcnt): valid only where SIMD is supported.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98,
  11,
]);

// A module using f32x4.relaxed_madd on three i8x16.splat values: valid only where relaxed SIMD is supported.
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0, 65, 0, 253, 15, 65, 0,
  253, 15, 65, 0, 253, 15, 253, 133, 2, 11,
]);

function validates(probe: Uint8Array<ArrayBuffer>): boolean {
  try {
    return typeof WebAssembly !== 'undefined' && WebAssembly.validate(probe);
  } catch {
    return false;
  }
}

/** True when this engine supports WebAssembly SIMD. */
export const simdSupported = (): boolean => validates(SIMD_PROBE);

/** True when this engine supports WebAssembly relaxed SIMD (then kernels-fma.wasm runs here). */
export const relaxedSimdSupported = (): boolean => validates(RELAXED_PROBE);
