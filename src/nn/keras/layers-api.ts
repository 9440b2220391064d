// `tg.layers`: every layer factory with TF.js's names, gathered from the layer files.
import { InputLayer } from './layers/input.js';
import { coreFactories } from './layers/core.js';
import { convFactories } from './layers/conv.js';
import { poolingFactories } from './layers/pooling.js';
import { depthwiseTransposeFactories } from './layers/conv-depthwise-transpose.js';
import { reshapingFactories } from './layers/reshaping.js';
import { normalizationFactories } from './layers/normalization.js';
import { embeddingFactories } from './layers/embedding.js';
import { noiseFactories } from './layers/noise.js';
import { mergeFactories } from './layers/merge.js';
import { advancedActivationFactories } from './layers/advanced-activations.js';
import { recurrentFactories } from './layers/rnn-cells.js';
import { wrapperFactories } from './layers/wrappers.js';
import { volumetricFactories } from './layers/volumetric.js';
import { maskingRegularizationFactories } from './layers/masking-regularization.js';
import { extraFactories } from './layers/extra.js';
import { attentionFactories } from './layers/attention.js';

export const layers = {
  inputLayer: (a: ConstructorParameters<typeof InputLayer>[0]) => new InputLayer(a),
  ...coreFactories,
  ...convFactories,
  ...poolingFactories,
  ...depthwiseTransposeFactories,
  ...reshapingFactories,
  ...normalizationFactories,
  ...embeddingFactories,
  ...noiseFactories,
  ...mergeFactories,
  ...advancedActivationFactories,
  ...recurrentFactories,
  ...wrapperFactories,
  ...volumetricFactories,
  ...maskingRegularizationFactories,
  ...extraFactories,
  ...attentionFactories,
};
