// Small memory helpers shared by the kernels: f32 copy/add/fill loops with f32x4 bodies and scalar tails.

/**
 * c + a·b in each f32 lane: one fused multiply-add (one rounding) in the relaxed-SIMD build (kernels-fma.wasm), a
 * multiply then an add (two roundings) in the baseline build (kernels.wasm). The micro-kernels' only arithmetic.
 * NOTE: relaxed_madd may fuse or not by hardware (x64 with FMA3 fuses): results are the same on every thread count and
 * path of one machine, since every product of a build goes through these two micro-kernels.
 */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** dst[0..n) = src[0..n) (f32). */
// @ts-ignore: decorator
@inline export function copyF32(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + <usize>i * 4, v128.load(src + <usize>i * 4));
  for (; i < n; i++) store<f32>(dst + <usize>i * 4, load<f32>(src + <usize>i * 4));
}

/** dst[0..n) += src[0..n) (f32, left to right). */
// @ts-ignore: decorator
@inline export function addF32(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + <usize>i * 4, f32x4.add(v128.load(dst + <usize>i * 4), v128.load(src + <usize>i * 4)));
  for (; i < n; i++) store<f32>(dst + <usize>i * 4, load<f32>(dst + <usize>i * 4) + load<f32>(src + <usize>i * 4));
}

/** dst[0..n) = 0 (f32). */
// @ts-ignore: decorator
@inline export function zeroF32(dst: usize, n: i32): void {
  memory.fill(dst, 0, <usize>n * 4);
}

/** Field i of the 14-i32 window geometry at g, in the order of WINDOW_GEOM_FIELDS (src/core/window-geom.ts). */
// @ts-ignore: decorator
@inline export function gi(g: usize, i: i32): i32 {
  return load<i32>(g + <usize>i * 4);
}

/** Store the 4×4 transpose of rows r0..r3 (4 lanes each): lane j of every row goes to dst + j·stride. */
// @ts-ignore: decorator
@inline export function storeT4(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, stride: usize): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(dst + stride, i32x4.shuffle(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, i32x4.shuffle(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, i32x4.shuffle(t2, t3, 2, 3, 6, 7));
}
