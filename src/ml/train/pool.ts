// ImagePool of pytorch-CycleGAN-and-pix2pix: a history of generated images for the discriminator.
// Until full, every new image is stored and returned; afterwards, with probability 0.5 the image is
// swapped with a random stored one (which is returned) and otherwise returned as is.
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from './rng.js';

export class ImagePool {
  /** Stored images, each [1,H,W,C], owned by the pool. */
  images: tf.Tensor4D[] = [];

  constructor(readonly size: number) {}

  /** Returns a new tensor the caller owns; `images` is not disposed. */
  query(images: tf.Tensor4D, rng: Rng): tf.Tensor4D {
    if (this.size === 0) return tf.clone(images);
    const out: tf.Tensor4D[] = [];
    for (let i = 0; i < images.shape[0]; i++) {
      const image = tf.keep(tf.slice(images, [i, 0, 0, 0], [1, -1, -1, -1]));
      if (this.images.length < this.size) {
        this.images.push(image);
        out.push(image);
      } else if (rng() > 0.5) {
        const id = Math.floor(rng() * this.size);
        out.push(this.images[id]);
        this.images[id] = image;
      } else {
        out.push(image);
      }
    }
    const result = tf.concat(out, 0);
    // Returned tensors that are no longer in the pool are freed (the swapped-out history image, or an
    // image that was returned without being stored).
    for (const t of out) if (!this.images.includes(t)) t.dispose();
    return result;
  }

  /** Restores from a checkpoint: takes ownership of `images`. */
  restore(images: tf.Tensor4D[]): void {
    this.dispose();
    this.images = images;
  }

  dispose(): void {
    tf.dispose(this.images);
    this.images = [];
  }
}
