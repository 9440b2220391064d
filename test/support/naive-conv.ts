// Naive nested-loop convolutions and pools over Float64Arrays: the independent references for conv tests.

export type Pads = [[number, number], [number, number]];
export interface Img {
  data: Float64Array;
  shape: number[];
}

/** TF/Keras 'same' padding along one axis: output ceil(in/stride), the odd extra pad at the end. */
export function samePad(n: number, k: number, s: number, d: number): [number, number] {
  const out = Math.ceil(n / s);
  const need = Math.max(0, (out - 1) * s + (k - 1) * d + 1 - n);
  return [Math.floor(need / 2), need - Math.floor(need / 2)];
}

export type PadSpec = 'same' | 'valid' | number | [number, number] | [[number, number], [number, number]];
/** [[top, bottom], [left, right]] for a padding spec. */
export function resolvePadding(
  p: PadSpec,
  h: number,
  w: number,
  k: [number, number],
  s: [number, number],
  d: [number, number],
): Pads {
  if (p === 'valid')
    return [
      [0, 0],
      [0, 0],
    ];
  if (p === 'same') return [samePad(h, k[0], s[0], d[0]), samePad(w, k[1], s[1], d[1])];
  if (typeof p === 'number')
    return [
      [p, p],
      [p, p],
    ];
  if (typeof p[0] === 'number')
    return [
      [p[0], p[0]],
      [p[1] as number, p[1] as number],
    ];
  return p as Pads;
}

/** Output length along one axis (may be < 1 when the window does not fit). */
export const outLen = (n: number, k: number, s: number, d: number, pads: [number, number]) =>
  Math.floor((n + pads[0] + pads[1] - (k - 1) * d - 1) / s) + 1;

export interface ConvSpec {
  stride: [number, number];
  dilation: [number, number];
  pads: Pads;
  groups: number;
}

/**
 * Cross-correlation, NHWC input [n,h,w,c] and kernel [kh,kw,c/groups,o]:
 * y[b,i,j,o] = bias[o] + Σ_{ky,kx,ci} x[b, i·sh − top + ky·dh, j·sw − left + kx·dw, g·cg + ci] · k[ky,kx,ci,o], g = o / (o/groups).
 */
export function conv2dNaive(x: Img, k: Img, bias: Float64Array | null, sp: ConvSpec): Img {
  const [n, h, w, c] = x.shape;
  const [kh, kw, cg, o] = k.shape;
  const og = o / sp.groups;
  const oh = outLen(h, kh, sp.stride[0], sp.dilation[0], sp.pads[0]);
  const ow = outLen(w, kw, sp.stride[1], sp.dilation[1], sp.pads[1]);
  const out = new Float64Array(n * oh * ow * o);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let f = 0; f < o; f++) {
          const g = Math.floor(f / og);
          let s = bias ? bias[f] : 0;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const yy = i * sp.stride[0] - sp.pads[0][0] + ky * sp.dilation[0];
              const xx = j * sp.stride[1] - sp.pads[1][0] + kx * sp.dilation[1];
              if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
              for (let ci = 0; ci < cg; ci++)
                s +=
                  x.data[((b * h + yy) * w + xx) * c + g * cg + ci] *
                  k.data[((ky * kw + kx) * cg + ci) * o + f];
            }
          out[((b * oh + i) * ow + j) * o + f] = s;
        }
  return { data: out, shape: [n, oh, ow, o] };
}

/** 1-D cross-correlation, NWC input [n,w,c], kernel [k,c/groups,o], explicit [left, right] padding. */
export function conv1dNaive(
  x: Img,
  k: Img,
  bias: Float64Array | null,
  stride: number,
  dilation: number,
  pads: [number, number],
  groups: number,
): Img {
  const [n, w, c] = x.shape;
  const [kw, cg, o] = k.shape;
  const og = o / groups;
  const ow = outLen(w, kw, stride, dilation, pads);
  const out = new Float64Array(n * ow * o);
  for (let b = 0; b < n; b++)
    for (let j = 0; j < ow; j++)
      for (let f = 0; f < o; f++) {
        let s = bias ? bias[f] : 0;
        for (let t = 0; t < kw; t++) {
          const xx = j * stride - pads[0] + t * dilation;
          if (xx < 0 || xx >= w) continue;
          for (let ci = 0; ci < cg; ci++)
            s += x.data[(b * w + xx) * c + Math.floor(f / og) * cg + ci] * k.data[(t * cg + ci) * o + f];
        }
        out[(b * ow + j) * o + f] = s;
      }
  return { data: out, shape: [n, ow, o] };
}

/** Keras depthwise conv: kernel [kh,kw,c,m]; output channel c·m + j = Σ x[..., c] · k[ky,kx,c,j]. */
export function depthwiseNaive(x: Img, k: Img, sp: Omit<ConvSpec, 'groups'>): Img {
  const [n, h, w, c] = x.shape;
  const [kh, kw, , m] = k.shape;
  const oh = outLen(h, kh, sp.stride[0], sp.dilation[0], sp.pads[0]);
  const ow = outLen(w, kw, sp.stride[1], sp.dilation[1], sp.pads[1]);
  const out = new Float64Array(n * oh * ow * c * m);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let ch = 0; ch < c; ch++)
          for (let q = 0; q < m; q++) {
            let s = 0;
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const yy = i * sp.stride[0] - sp.pads[0][0] + ky * sp.dilation[0];
                const xx = j * sp.stride[1] - sp.pads[1][0] + kx * sp.dilation[1];
                if (yy >= 0 && yy < h && xx >= 0 && xx < w)
                  s += x.data[((b * h + yy) * w + xx) * c + ch] * k.data[((ky * kw + kx) * c + ch) * m + q];
              }
            out[((b * oh + i) * ow + j) * c * m + ch * m + q] = s;
          }
  return { data: out, shape: [n, oh, ow, c * m] };
}

/** Max or average pooling over NHWC; padding never wins a max; the average divides by real inputs unless countIncludePad. */
export function pool2dNaive(
  x: Img,
  kind: 'max' | 'avg',
  k: [number, number],
  s: [number, number],
  pads: Pads,
  countIncludePad = false,
): Img {
  const [n, h, w, c] = x.shape;
  const oh = outLen(h, k[0], s[0], 1, pads[0]);
  const ow = outLen(w, k[1], s[1], 1, pads[1]);
  const out = new Float64Array(n * oh * ow * c);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let sum = 0;
          let count = 0;
          for (let ky = 0; ky < k[0]; ky++)
            for (let kx = 0; kx < k[1]; kx++) {
              const yy = i * s[0] - pads[0][0] + ky;
              const xx = j * s[1] - pads[1][0] + kx;
              if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
              const v = x.data[((b * h + yy) * w + xx) * c + ch];
              best = Math.max(best, v);
              sum += v;
              count++;
            }
          out[((b * oh + i) * ow + j) * c + ch] =
            kind === 'max' ? best : sum / (countIncludePad ? k[0] * k[1] : count);
        }
  return { data: out, shape: [n, oh, ow, c] };
}

/** Global max/avg over every axis between the batch and channel axes (channels last). */
export function globalPoolNaive(x: Img, kind: 'max' | 'avg'): Img {
  const n = x.shape[0];
  const c = x.shape[x.shape.length - 1];
  const sp = x.data.length / (n * c);
  const out = new Float64Array(n * c);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++) {
      let acc = kind === 'max' ? -Infinity : 0;
      for (let p = 0; p < sp; p++) {
        const v = x.data[(b * sp + p) * c + ch];
        acc = kind === 'max' ? Math.max(acc, v) : acc + v;
      }
      out[b * c + ch] = kind === 'max' ? acc : acc / sp;
    }
  return { data: out, shape: [n, c] };
}

/** Permute the axes of a row-major array (for NCHW ↔ NHWC and kernel layouts in the tests). */
export function permute(x: Img, perm: number[]): Img {
  const shape = perm.map((p) => x.shape[p]);
  const st = x.shape.map((_, i) => x.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float64Array(x.data.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let d = 0; d < shape.length; d++) src += idx[d] * st[perm[d]];
    out[i] = x.data[src];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return { data: out, shape };
}
