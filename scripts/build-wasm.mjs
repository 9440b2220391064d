// npm run build:wasm: the kernel module in two builds from the same asm/ sources.
//   build/wasm/kernels.wasm      SIMD + threads (every engine with wasm SIMD)
//   build/wasm/kernels-fma.wasm  the same plus relaxed SIMD: the micro-kernels' multiply-add is one f32x4.relaxed_madd
// Each is written to a .next file and renamed, so a failed or concurrent build never leaves half a module behind.
import { execFileSync } from 'node:child_process';
import { renameSync } from 'node:fs';
import { createRequire } from 'node:module';

const asc = createRequire(import.meta.url).resolve('assemblyscript/bin/asc.js');
const common = [
  'asm/index.ts',
  '--enable',
  'simd',
  '--enable',
  'threads',
  '-O3',
  '--noAssert',
  '--runtime',
  'stub',
];
const memory = ['--importMemory', '--sharedMemory', '--initialMemory', '64', '--maximumMemory', '65536'];
for (const [name, extra] of [
  ['kernels', []],
  ['kernels-fma', ['--enable', 'relaxed-simd']],
]) {
  const next = `build/wasm/${name}.next.wasm`;
  execFileSync(process.execPath, [asc, ...common, ...extra, ...memory, '-o', next], { stdio: 'inherit' });
  renameSync(next, `build/wasm/${name}.wasm`);
}
