// Shared machinery of the GAN trainers: named networks with their variables, one Adam per group of
// networks (as the reference chains G_A+G_B and D_A+D_B into one optimiser each), gradients by name.
import * as tf from '@tensorflow/tfjs-core';
import { countParams, initParams, type VariableMap } from '../models/params.js';
import type { Layer, RunCtx } from '../models/layers.js';
import { Adam, type AdamOptions } from './adam.js';

export interface Net {
  layer: Layer;
  params: VariableMap;
}

export class NetSet {
  readonly nets: Record<string, Net> = {};
  readonly optimisers: Record<string, { adam: Adam; params: VariableMap }> = {};

  add(name: string, layer: Layer, seed: number, gain: number): Net {
    const net = { layer, params: initParams(layer.specs, seed, gain, name) };
    this.nets[name] = net;
    return net;
  }

  /** One Adam over the named networks' parameters, keyed `<net>/<param>`. */
  optimiser(name: string, nets: string[], o: AdamOptions): void {
    const params: VariableMap = {};
    for (const n of nets) for (const [k, v] of Object.entries(this.nets[n].params)) params[`${n}/${k}`] = v;
    this.optimisers[name] = { adam: new Adam(params, o), params };
  }

  run(name: string, x: tf.Tensor4D, ctx: RunCtx = {}): tf.Tensor4D {
    const n = this.nets[name];
    return n.layer.apply(n.params, x, ctx);
  }

  /**
   * Gradient of `loss` w.r.t. the optimiser's parameters, then one Adam step. `loss` runs inside the
   * tape; tensors it tf.keep()s survive for the caller.
   */
  minimise(opt: string, lr: number, loss: () => tf.Scalar): void {
    this.minimiseSum(opt, lr, [loss]);
  }

  /**
   * One Adam step on the gradient of a sum of losses, taping one part at a time: peak memory is that
   * of the largest part instead of the whole (CycleGAN's six generator passes otherwise overflow the
   * 4 GB wasm heap at 128x128).
   */
  minimiseSum(opt: string, lr: number, parts: (() => tf.Scalar)[]): void {
    const { adam, params } = this.optimisers[opt];
    const names = Object.keys(params);
    const vars = names.map((k) => params[k]);
    const total: Record<string, tf.Tensor> = {};
    for (const part of parts) {
      const { value, grads } = tf.variableGrads(part, vars);
      names.forEach((k, i) => {
        const g = grads[vars[i].name];
        if (!g) return;
        if (total[k]) {
          const sum = tf.add(total[k], g);
          tf.dispose([total[k], g]);
          total[k] = sum;
        } else total[k] = g;
      });
      value.dispose();
    }
    adam.step(total, lr);
    tf.dispose(Object.values(total));
  }

  paramCounts(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.nets).map(([k, n]) => [k, countParams(n.layer.specs)]));
  }

  /** Every tensor a checkpoint holds: `net/<net>/<param>` and `opt/<opt>/{m,v}/<net>/<param>`. */
  stateTensors(): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = {};
    for (const [n, net] of Object.entries(this.nets))
      for (const [k, v] of Object.entries(net.params)) out[`net/${n}/${k}`] = v;
    for (const [o, { adam }] of Object.entries(this.optimisers)) Object.assign(out, adam.stateTensors(`opt/${o}/`));
    return out;
  }

  adamSteps(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.optimisers).map(([k, o]) => [k, o.adam.t]));
  }

  setAdamSteps(steps: Record<string, number>): void {
    for (const [k, t] of Object.entries(steps)) this.optimisers[k].adam.t = t;
  }

  dispose(): void {
    for (const n of Object.values(this.nets)) tf.dispose(Object.values(n.params));
    for (const o of Object.values(this.optimisers)) o.adam.dispose();
  }
}
