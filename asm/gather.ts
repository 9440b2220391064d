// Index gathers and scatters over float32 values: take (out[i] = x[idx[i]]) and scatterAdd (out[idx[i]] += g[i]).

/** out[i] = x[idx[i]] for i in [0, n). */
export function take(x: usize, idx: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(out + <usize>i * 4, load<f32>(x + <usize>load<i32>(idx + <usize>i * 4) * 4));
}

/** out[0..size) = 0, then out[idx[i]] += g[i] in order i = 0..n-1 (the reference's summation order). */
export function scatterAdd(g: usize, idx: usize, out: usize, n: i32, size: i32): void {
  memory.fill(out, 0, <usize>size * 4);
  for (let i = 0; i < n; i++) {
    const p = out + <usize>load<i32>(idx + <usize>i * 4) * 4;
    store<f32>(p, load<f32>(p) + load<f32>(g + <usize>i * 4));
  }
}
