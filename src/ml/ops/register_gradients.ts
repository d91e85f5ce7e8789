// Registers tfjs-core's stock gradient configs (tfjs-core alone has none; see vendor/make_tfjs_gradients.sh).
// Skipped when something else (the @tensorflow/tfjs union package, pulled in by tfjs-node) registered them first.
import * as tf from '@tensorflow/tfjs-core';

if (!tf.getGradient('Sum')) {
  await import('./vendor/tfjs_gradients.generated.js');
}
