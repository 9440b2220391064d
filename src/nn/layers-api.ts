// `tg.layers`: every layer factory with TF.js's names, gathered from the layer files.
import { InputLayer } from './layers/input.js';
import { coreFactories } from './layers/core.js';
import { convFactories } from './layers/conv.js';
import { poolingFactories } from './layers/pooling.js';
import { recurrentFactories } from './layers/recurrent-layers.js';
import { wrapperFactories } from './layers/wrappers.js';

export const layers = {
  inputLayer: (a: ConstructorParameters<typeof InputLayer>[0]) => new InputLayer(a),
  ...coreFactories,
  ...convFactories,
  ...poolingFactories,
  ...recurrentFactories, ...wrapperFactories,
};
