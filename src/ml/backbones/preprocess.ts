// Input conventions: every backbone takes generator-range input (RGB in [-1,1], NHWC) and converts it to what its
// weights were trained on. Normalising [-1,1] directly with ImageNet statistics is the classic bug this prevents.
import * as tf from '@tensorflow/tfjs-core';

export type InputConvention = 'torchvision' | 'caffe' | 'lpips';

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;
/** Caffe VGG mean in BGR order, on 0..255 pixels (Keras applications `preprocess_input`, mode 'caffe'). */
export const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68] as const;
/** LPIPS ScalingLayer, applied to RGB in [-1,1]. */
export const LPIPS_SHIFT = [-0.03, -0.088, -0.188] as const;
export const LPIPS_SCALE = [0.458, 0.448, 0.45] as const;

export const CONVENTION_TEXT: Record<InputConvention, string> = {
  torchvision: 'RGB in [0,1] normalised by ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225)',
  caffe: 'BGR in 0..255 minus the mean (103.939, 116.779, 123.68), no std division',
  lpips: 'RGB in [-1,1], shifted by (-0.030, -0.088, -0.188) and scaled by (0.458, 0.448, 0.450)',
};

/**
 * Factor that brings a convention's features to the torchvision input scale (loss.perceptual.normalize: auto).
 * Caffe input is 255*std times the torchvision input (up to a mean offset under 0.5 grey levels): 127.5*(x+1) - m
 * against ((x+1)/2 - mean)/std. Conv + ReLU + max-pool are positively homogeneous up to their biases, so features
 * scale about linearly with the input: dividing them by 255 * mean(std) = 57.6 puts Caffe-convention features where
 * torchvision-convention features are (docs/losses.md; bench/loss-scales.ts measures the residual).
 */
export const FEATURE_SCALE: Record<InputConvention, number> = {
  torchvision: 1,
  caffe: 1 / (255 * ((IMAGENET_STD[0] + IMAGENET_STD[1] + IMAGENET_STD[2]) / 3)),
  lpips: 1,
};

/** x: NHWC RGB in [-1,1]. */
export function toBackboneInput(x: tf.Tensor4D, convention: InputConvention): tf.Tensor4D {
  return tf.tidy(() => {
    switch (convention) {
      case 'torchvision': {
        // ((x+1)/2 - mean)/std as one affine map per channel.
        const a = IMAGENET_STD.map((s) => 0.5 / s);
        const b = IMAGENET_MEAN.map((m, i) => (0.5 - m) / IMAGENET_STD[i]!);
        return tf.add(tf.mul(x, tf.tensor1d(a)), tf.tensor1d(b));
      }
      case 'caffe': {
        const bgr = tf.reverse(x, -1);
        return tf.sub(tf.mul(tf.add(bgr, 1), 127.5), tf.tensor1d([...CAFFE_MEAN_BGR]));
      }
      case 'lpips':
        return tf.div(tf.sub(x, tf.tensor1d([...LPIPS_SHIFT])), tf.tensor1d([...LPIPS_SCALE]));
    }
  });
}
