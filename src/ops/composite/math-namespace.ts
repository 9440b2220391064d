// TF.js's `tf.math` namespace (exported as `tg.math`): the ops TF.js files under it.
export { confusionMatrix } from './segment.js';
