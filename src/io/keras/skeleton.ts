// Prints a TypeScript starting point for a layer tapegrad does not implement (from an UnknownLayerError).
import type { UnknownLayerInfo } from './errors.js';

const ident = (s: string): string => (/^[A-Za-z_$][\w$]*$/.test(s) ? s : `w${s.replace(/\W+/g, '_')}`);

/**
 * TypeScript source registering an implementation for an unknown layer: the weights it must create (names and
 * shapes from the file, in Keras order) and a forward function to fill in. Lambda layers are keyed by layer name.
 */
export function layerSkeleton(
  info: Pick<UnknownLayerInfo, 'layerName' | 'className' | 'configKeys' | 'weights'> &
    Partial<UnknownLayerInfo>,
): string {
  const byName = info.className === 'Lambda';
  const key = byName ? info.layerName : (info.registeredName ?? info.className);
  const wnames = info.weights.map((w) => w.name.replace(/:\d+$/, '').split('/').pop() ?? w.name);
  const lines: string[] = [];
  lines.push(
    `// Implementation of Keras layer '${info.layerName}' (class ${info.className}); register it before loading the model.`,
  );
  lines.push(`import * as tg from 'tapegrad';`);
  lines.push('');
  lines.push(`tg.keras.registerLayer('${key}', {`);
  if (info.weights.length) {
    lines.push('  // The stored weights, in Keras order (these shapes come from the file).');
    lines.push('  weights: (config, inputShape) => [');
    info.weights.forEach((w, i) =>
      lines.push(`    { name: '${wnames[i]}', shape: [${w.shape.join(', ')}] },`),
    );
    lines.push('  ],');
  }
  lines.push('  call: (inputs, weights, config) => {');
  lines.push(`    // config keys: ${info.configKeys.join(', ') || '(none)'}`);
  lines.push('    const x = inputs as tg.Tensor; // an array of tensors when the layer takes several inputs');
  if (info.weights.length) lines.push(`    const [${wnames.map(ident).join(', ')}] = weights;`);
  lines.push('    // Compute the output with tapegrad ops (gradients come for free), for example:');
  lines.push(
    info.weights.length >= 2
      ? `    // return tg.add(tg.matmul(x, ${ident(wnames[0])}), ${ident(wnames[1])});`
      : '    // return tg.mul(x, 2);',
  );
  lines.push('    return x;');
  lines.push('  },');
  lines.push('});');
  return lines.join('\n');
}
