// tfjs-core alone registers no gradient functions (the @tensorflow/tfjs union package does); src/ml/ops
// registers a vendored copy of them when it loads. Entry points that compute gradients call this to make
// the dependency explicit rather than relying on import order.
import * as tf from '@tensorflow/tfjs-core';

export async function registerGradients(): Promise<void> {
  await import('../ops/register_gradients.js');
  if (!tf.getGradient('Mean')) throw new Error('tfjs-core gradients did not register');
}
