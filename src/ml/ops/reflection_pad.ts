// Reflection padding (ResNet generators). tfjs's MirrorPad gradient only slices the centre out of dy and drops what
// flowed through the reflected border, so the gradient here folds the border back onto the rows it copied.
import * as tf from '@tensorflow/tfjs-core';
import { isWebgpu } from '../webgpu/kernel.js';
import { reflectionPadWebgpu } from '../webgpu/pad.js';

/** Folds dy [A, L+before+after, B] of a 1-D reflect pad back onto the L input rows. */
function fold(dy: tf.Tensor3D, len: number, before: number, after: number): tf.Tensor3D {
  const [a, , b] = dy.shape;
  const parts: tf.Tensor3D[] = [tf.slice(dy, [0, before, 0], [a, len, b])];
  if (before > 0) {
    // Padded row i (< before) copies input row before - i: reversed, the border lands on rows 1..before.
    const top = tf.reverse(tf.slice(dy, [0, 0, 0], [a, before, b]), 1);
    parts.push(
      tf.pad(top, [
        [0, 0],
        [1, len - 1 - before],
        [0, 0],
      ]),
    );
  }
  if (after > 0) {
    // Padded row before+len+i copies input row len-2-i: reversed, rows len-1-after .. len-2.
    const bottom = tf.reverse(tf.slice(dy, [0, before + len, 0], [a, after, b]), 1);
    parts.push(
      tf.pad(bottom, [
        [0, 0],
        [len - 1 - after, 1],
        [0, 0],
      ]),
    );
  }
  return parts.length === 1 ? parts[0] : tf.addN(parts);
}

/**
 * PyTorch ReflectionPad2d on NHWC: `pad` is one amount for every side or [top, bottom, left, right]; each must be
 * smaller than the padded dimension.
 */
export function reflectionPad(x: tf.Tensor4D, pad: number | [number, number, number, number]): tf.Tensor4D {
  const [top, bottom, left, right] = typeof pad === 'number' ? [pad, pad, pad, pad] : pad;
  const [n, h, w, c] = x.shape;
  if ([top, bottom, left, right].some((p) => !Number.isInteger(p) || p < 0)) {
    throw new Error(`reflectionPad: padding must be non-negative integers, got ${JSON.stringify(pad)}`);
  }
  if (Math.max(top, bottom) >= h || Math.max(left, right) >= w) {
    throw new Error(`reflectionPad: padding ${JSON.stringify(pad)} must be smaller than the input size ${h}x${w}`);
  }
  if (isWebgpu() && x.dtype === 'float32') return reflectionPadWebgpu(x, top, bottom, left, right);
  const op = tf.customGrad((xIn) => ({
    value: tf.mirrorPad(
      xIn as tf.Tensor4D,
      [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      'reflect',
    ),
    gradFunc: (dy: tf.Tensor4D) =>
      tf.tidy(() => {
        const hp = h + top + bottom;
        const wp = w + left + right;
        const alongH = fold(tf.reshape(dy, [n, hp, wp * c]), h, top, bottom);
        const alongW = fold(tf.reshape(alongH, [n * h, wp, c]), w, left, right);
        return tf.reshape(alongW, [n, h, w, c]);
      }),
  }));
  return op(x) as tf.Tensor4D;
}
