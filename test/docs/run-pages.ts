// Runs the docs programs named on the command line in ONE process (fast), each as if alone: layer names, the
// global seed and the debug switches are reset first, and what it console.logs is captured (formatted exactly
// as console.log would). Prints { file: output } as JSON.
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import * as tg from '../../src/index.js';

const outputs: Record<string, string> = {};
const log = console.log;
for (const file of process.argv.slice(2)) {
  const lines: string[] = [];
  tg.resetLayerNames();
  tg.setSeed(0);
  tg.checkNumerics(false);
  tg.checkCustomGrads(false);
  console.log = (...args: unknown[]) => void lines.push(format(...args));
  try {
    await import(pathToFileURL(file).href);
  } finally {
    console.log = log;
  }
  outputs[file] = lines.join('\n').trimEnd();
}
process.stdout.write(JSON.stringify(outputs));
