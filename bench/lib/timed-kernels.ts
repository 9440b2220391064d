// A Kernels object that forwards to another and accumulates wall and CPU time per call label (kernel name and the
// shape that decides its speed), for the profiling scripts (bench/profile-kernels.ts, bench/profile-onnx.ts).
import type { Kernels, WindowGeom } from '../../src/backend/kernels.js';

export interface KernelStat {
  calls: number;
  ms: number;
  cpu: number;
  flops: number;
}

export const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** A label naming the kernel and the sizes that decide its speed, and the flops of matmul-like calls. */
export function kernelLabel(name: string, a: unknown[]): [string, number] {
  if (name === 'unary' || name === 'binary' || name === 'compare' || name === 'reduce')
    return [`${name} ${String(a[0])} (${(a[1] as ArrayLike<number>).length})`, 0];
  if (name === 'matmul') {
    const [m, n, k] = [a[5], a[6], a[7]] as number[];
    const batch = Math.max(a[3] as number, a[4] as number);
    return [
      `matmul m${m} n${n} k${k} ${a[8] ? 'T' : 'N'}${a[9] ? 'T' : 'N'}${batch > 1 ? ` ×${batch}` : ''}`,
      2 * m * n * k * batch,
    ];
  }
  if (name === 'conv2d' || name === 'conv2dBackpropInput' || name === 'conv2dBackpropFilter') {
    const [g, o] = (name === 'conv2d' ? [a[3], a[4]] : [a[2], a[3]]) as [WindowGeom, number];
    const rows = g.n * g.outH * g.outW;
    const k = g.kh * g.kw * g.c;
    return [`${name} ${g.h}×${g.w}×${g.c} → ${o} (m${rows} k${k})`, 2 * rows * k * o];
  }
  if (name === 'im2col' || name === 'col2im' || name === 'poolArgmax' || name === 'poolMax') {
    const g = a[1] as WindowGeom;
    return [`${name} ${g.h}×${g.w}×${g.c} k${g.kh}×${g.kw} s${g.strideH}`, 0];
  }
  if (name === 'transpose' || name === 'broadcastTo' || name === 'pad' || name === 'slice')
    return [`${name} [${(a[1] as number[]).join(',')}]`, 0];
  return [name, 0];
}

/** Memory plumbing, forwarded untimed. */
const PLUMBING = new Set(['alloc', 'free', 'hold', 'unhold', 'memory', 'setMemoryBudget', 'memoryBytes']);

/** `inner`'s kernels, each call timed into `stats` under its label (and reported to `onCall`), with the process's CPU
 * time unless `cpu: false`; registered under `name` by the caller. */
export function timedKernels(
  inner: Kernels,
  name: string,
  onCall?: (label: string, ms: number) => void,
  opts: { cpu?: boolean } = {},
): { kernels: Kernels; stats: Map<string, KernelStat> } {
  // NOTE: process.cpuUsage is a system call (~1–2 µs): with { cpu: false } a call costs two performance.now() only,
  // which matters for the many tiny kernels of an imported graph
  const withCpu = opts.cpu ?? true;
  const stats = new Map<string, KernelStat>();
  const src = inner as unknown as Record<string, unknown>;
  const timed: Record<string, unknown> = { name };
  for (const [key, f] of Object.entries(src)) {
    if (typeof f !== 'function') continue;
    if (PLUMBING.has(key)) {
      timed[key] = (f as (...x: unknown[]) => unknown).bind(inner);
      continue;
    }
    timed[key] = (...a: unknown[]) => {
      const c0 = withCpu ? cpuMs() : 0;
      const t0 = performance.now();
      const r = (f as (...x: unknown[]) => unknown).apply(inner, a);
      const ms = performance.now() - t0;
      const cpu = withCpu ? cpuMs() - c0 : 0;
      const [l, flops] = kernelLabel(key, a);
      const s = stats.get(l) ?? { calls: 0, ms: 0, cpu: 0, flops: 0 };
      s.calls++;
      s.ms += ms;
      s.cpu += cpu;
      s.flops += flops;
      stats.set(l, s);
      onCall?.(l, ms);
      return r;
    };
  }
  return { kernels: timed as unknown as Kernels, stats };
}
