// One kernel call's frame (src/backend/wasm/memory-frame.ts): plain operands are copied into temporary blocks and
// plain outputs back, the body gets every pointer as an argument (inputs, outputs, scratch, in that order), the
// temporary blocks are freed afterwards, and a call with more pointers than the body can take is refused by name.
import { describe, expect, it } from 'vitest';
import { readKernelBytes } from '../../src/backend/wasm/node.js';
import { WasmMemory } from '../../src/backend/wasm/memory-frame.js';
import type { WasmExports } from '../../src/backend/wasm/exports.js';

function frame(): WasmMemory {
  const bytes = readKernelBytes();
  if (!bytes) throw new Error('no kernels.wasm: run npm run build:wasm');
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
  const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } })
    .exports as unknown as WasmExports;
  return new WasmMemory(ex, memory);
}

describe('wasm memory frame', () => {
  it('passes inputs, outputs and scratch as arguments in order, copies plain ones in and out, frees temporaries', () => {
    const mem = frame();
    const a = Float32Array.from([1, 2, 3]);
    const b = Int32Array.from([10, 20, 30]);
    const out = new Float32Array(3);
    const spanBefore = mem.arena.stats().spanBytes;
    let seen: number[] = [];
    const ok = mem.call(
      [a, b],
      [out],
      (pa, pb, po, scratch) => {
        seen = [pa, pb, po, scratch];
        mem.fresh();
        for (let i = 0; i < 3; i++)
          mem.f32[(po >>> 2) + i] = mem.f32[(pa >>> 2) + i] + mem.i32[(pb >>> 2) + i];
        mem.f32[scratch >>> 2] = 7; // the scratch block is writable and distinct from the operands
      },
      [64],
    );
    expect(ok).toBe(true);
    expect(Array.from(out)).toEqual([11, 22, 33]);
    expect(new Set(seen).size).toBe(4);
    expect(seen.every((p) => p > 0 && p % 64 === 0)).toBe(true);
    expect(mem.arena.stats().spanBytes).toBe(spanBefore); // every temporary block went back
  });

  it('refuses a call with more pointers than a body takes, naming the count', () => {
    const mem = frame();
    const xs = Array.from({ length: 5 }, () => new Float32Array(4));
    expect(() => mem.call(xs, [new Float32Array(4)], () => {}, [16])).toThrow(/7 pointers, at most 6/);
  });
});
