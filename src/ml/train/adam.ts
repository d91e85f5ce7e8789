// Adam as torch.optim.Adam (eps 1e-8, bias-corrected, no weight decay) over a named variable map, with
// its moments exposed by name so checkpoints can save and restore them exactly.
import * as tf from '@tensorflow/tfjs-core';
import type { VariableMap } from '../models/params.js';
import { adamUpdate } from '../ops/index.js';

export interface AdamOptions {
  beta1: number;
  beta2: number;
  eps?: number;
}

export class Adam {
  /** Number of updates taken (PyTorch's per-parameter `step`). */
  t = 0;
  readonly m: VariableMap = {};
  readonly v: VariableMap = {};
  private readonly eps: number;

  constructor(
    private readonly params: VariableMap,
    private readonly o: AdamOptions,
  ) {
    this.eps = o.eps ?? 1e-8;
    for (const [name, p] of Object.entries(params)) {
      this.m[name] = tf.variable(tf.zerosLike(p), false);
      this.v[name] = tf.variable(tf.zerosLike(p), false);
    }
  }

  /** One update with `grads` keyed like the params (missing names get no update); disposes nothing. */
  step(grads: Record<string, tf.Tensor>, lr: number): void {
    this.t++;
    const { beta1, beta2 } = this.o;
    const fresh = tf.getBackend() === 'wasm';
    // p -= lr/c1 * m / (sqrt(v)/sqrt(c2) + eps), PyTorch's arrangement of the bias corrections; the engine op does
    // it in one in-place pass on cpu/wasm instead of ~11 kernels per parameter (src/ml/ops/adam_update.ts).
    for (const [name, g] of Object.entries(grads)) {
      const p = this.params[name];
      if (!p) throw new Error(`Adam: gradient for unknown parameter "${name}"`);
      const before = p.dataId;
      adamUpdate(p, this.m[name], this.v[name], g, { lr, beta1, beta2, eps: this.eps, step: this.t });
      // wasm's XNNPACK conv / matmul operators cache packed weights by tensor id: a parameter changed in
      // place keeps being read from the stale cache (measured: forward outputs off by 0.4 after 3 steps,
      // and resume != uninterrupted). A fresh id per update, with the old one disposed, drops the cache.
      if (fresh && p.dataId === before) {
        const copy = tf.add(p, 0);
        p.assign(copy);
        copy.dispose();
      }
    }
  }

  /** Moments by checkpoint name (`<prefix>m/<param>`, `<prefix>v/<param>`). */
  stateTensors(prefix: string): VariableMap {
    const out: VariableMap = {};
    for (const name of Object.keys(this.params)) {
      out[`${prefix}m/${name}`] = this.m[name];
      out[`${prefix}v/${name}`] = this.v[name];
    }
    return out;
  }

  dispose(): void {
    tf.dispose([...Object.values(this.m), ...Object.values(this.v)]);
  }
}
