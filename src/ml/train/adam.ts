// Adam as torch.optim.Adam (eps 1e-8, bias-corrected, no weight decay) over a named variable map, with
// its moments exposed by name so checkpoints can save and restore them exactly.
import * as tf from '@tensorflow/tfjs-core';
import type { VariableMap } from '../models/params.js';

export interface AdamOptions { beta1: number; beta2: number; eps?: number }

export class Adam {
  /** Number of updates taken (PyTorch's per-parameter `step`). */
  t = 0;
  readonly m: VariableMap = {};
  readonly v: VariableMap = {};
  private readonly eps: number;

  constructor(private readonly params: VariableMap, private readonly o: AdamOptions) {
    this.eps = o.eps ?? 1e-8;
    for (const [name, p] of Object.entries(params)) {
      this.m[name] = tf.variable(tf.zerosLike(p), false);
      this.v[name] = tf.variable(tf.zerosLike(p), false);
    }
  }

  /** One update with `grads` keyed like the params (missing names get no update); disposes nothing. */
  step(grads: Record<string, tf.Tensor>, lr: number): void {
    this.t++;
    const { beta1: b1, beta2: b2 } = this.o;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    // p -= lr/c1 * m / (sqrt(v)/sqrt(c2) + eps), PyTorch's arrangement of the bias corrections.
    for (const [name, g] of Object.entries(grads)) {
      const p = this.params[name];
      if (!p) throw new Error(`Adam: gradient for unknown parameter "${name}"`);
      tf.tidy(() => {
        const m = tf.add(tf.mul(this.m[name], b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(this.v[name], b2), tf.mul(tf.square(g), 1 - b2));
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(c2)), this.eps);
        this.m[name].assign(m);
        this.v[name].assign(v);
        p.assign(tf.sub(p, tf.mul(tf.div(m, denom), lr / c1)));
      });
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
