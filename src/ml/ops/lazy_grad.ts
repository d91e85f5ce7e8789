// tf.customGrad with gradients computed only for the inputs the caller differentiates. tf.customGrad evaluates
// gradFunc for every input and then lets the tape discard what it does not need; for a conv that is a whole filter
// gradient (as costly as the forward conv) in every step where the filter is not trained: the discriminator's
// filters during the generator step, or the first layer's input image. The tape already calls per-input gradient
// closures only for inputs on a path to the differentiated variables, so this wrapper hands it one closure per input.
import * as tf from '@tensorflow/tfjs-core';

export interface LazyGradResult {
  value: tf.Tensor;
  /** One gradient per input, computed from dy and the saved tensors only if that input needs it. */
  grads: Array<(dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor>;
}

interface KernelFuncEngine {
  runKernelFunc(params: {
    forwardFunc: (backend: unknown, save: tf.GradSaveFunc) => tf.Tensor;
    backwardsFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;
    inputs: Record<string, tf.Tensor>;
  }): tf.Tensor;
}

/** Like tf.customGrad(f)(...inputs), with lazily evaluated per-input gradients. */
export function withLazyGrads(inputs: tf.Tensor[], f: (save: tf.GradSaveFunc) => LazyGradResult): tf.Tensor {
  let res: LazyGradResult | undefined;
  const inputMap: Record<string, tf.Tensor> = {};
  inputs.forEach((t, i) => (inputMap[i] = t));
  // The same engine entry point tf.customGrad uses (Engine.runKernelFunc), given lazy gradient closures.
  return (tf.engine() as unknown as KernelFuncEngine).runKernelFunc({
    forwardFunc: (_backend, save) => {
      res = f(save);
      return res.value;
    },
    backwardsFunc: (dy, saved) => {
      const out: Record<string, () => tf.Tensor> = {};
      res!.grads.forEach((grad, i) => (out[i] = () => grad(dy, saved)));
      return out;
    },
    inputs: inputMap,
  });
}
