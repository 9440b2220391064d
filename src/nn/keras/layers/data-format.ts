// The `dataFormat` option of the image and sequence layers: TF.js's names, Keras's accepted too, anything else refused.
import { ValueError } from '../../../core/errors.js';
import type { Layer } from '../../layer.js';

/** Where the channel axis is: last ([batch, ...spatial, channels], the default) or first ([batch, channels, ...]). */
export type DataFormat = 'channelsLast' | 'channelsFirst';
/** What the option takes: TF.js's names or Keras's (`channels_last`, `channels_first`). */
export type DataFormatArg = DataFormat | 'channels_last' | 'channels_first';

const FORMATS: Record<string, DataFormat> = {
  channelsLast: 'channelsLast',
  channelsFirst: 'channelsFirst',
  channels_last: 'channelsLast',
  channels_first: 'channelsFirst',
};

/** The layer's data format in TF.js's spelling (undefined when not given); a ValueError naming the layer otherwise. */
export function dataFormatOf(layer: Layer, v: unknown): DataFormat | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string' && Object.hasOwn(FORMATS, v)) return FORMATS[v];
  throw new ValueError(
    `${layer.name} (${layer.className}): dataFormat must be 'channelsLast' or 'channelsFirst' (Keras: 'channels_last', ` +
      `'channels_first'), got ${typeof v === 'string' ? `'${v}'` : String(v)}`,
  );
}

/** `args` with its dataFormat checked and in TF.js's spelling (a copy; the caller's object is left alone). */
export function withDataFormat<A extends { dataFormat?: DataFormatArg }>(layer: Layer, args: A): A {
  return args.dataFormat === undefined ? args : { ...args, dataFormat: dataFormatOf(layer, args.dataFormat) };
}

/** Keras's config value (`data_format`). */
export const dataFormatName = (f?: DataFormatArg): string =>
  dataFormatFirst(f) ? 'channels_first' : 'channels_last';
const dataFormatFirst = (f?: DataFormatArg): boolean => f === 'channelsFirst' || f === 'channels_first';
