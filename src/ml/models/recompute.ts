// Activation recomputation (gradient checkpointing, train.recompute): a wrapped segment keeps only its input and its
// parameters on the gradient tape; its intermediate activations are freed after the forward pass and recomputed from
// the input when the backward pass reaches the segment. Same gradients, about one extra forward per step.
import * as tf from '@tensorflow/tfjs-core';
import type { Layer, RunCtx } from './layers.js';
import type { ParamMap } from './params.js';

type TapeState = { activeTape: unknown };

/**
 * Gradients of the segment, recomputed. A gradient taken inside a backward pass needs care: tfjs' engine keeps one
 * active tape, and a top-level gradient call (the outer backward pass runs at gradient depth 0) replaces it and sets
 * it to null when done; the outer pass then still has to release its own tape. Restoring it keeps both intact.
 */
function recomputeGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], dy: tf.Tensor): tf.Tensor[] {
  const state = tf.engine().state as unknown as TapeState;
  const outer = state.activeTape;
  try {
    return tf.grads(f)(inputs, dy);
  } finally {
    state.activeTape = outer;
  }
}

/** `layer` as a checkpointed segment: same parameters (names, shapes) and values, less tape memory. */
export function recomputed(layer: Layer): Layer {
  const names = layer.specs.map((s) => s.name);
  return {
    specs: layer.specs,
    apply(p, x, ctx) {
      // Without a tape (inference, or inside another segment's forward) there is nothing to save.
      if (!tf.engine().isTapeOn()) return layer.apply(p, x, ctx);
      // Dropout masks drawn in the forward pass are replayed in the recomputation.
      const seeds: number[] = [];
      const record: RunCtx = ctx.dropoutSeed
        ? {
            dropoutSeed: () => {
              const s = ctx.dropoutSeed!();
              seeds.push(s);
              return s;
            },
          }
        : {};
      const asMap = (ps: tf.Tensor[]): ParamMap => Object.fromEntries(names.map((n, i) => [n, ps[i]!])) as ParamMap;
      const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
        const inputs = args.slice(0, names.length + 1) as tf.Tensor[];
        const save = args[names.length + 1] as tf.GradSaveFunc;
        const value = layer.apply(asMap(inputs.slice(1)), inputs[0] as tf.Tensor4D, record);
        // The segment's input is an intermediate of the enclosing forward pass, freed when it ends unless saved
        // (the one activation a checkpoint keeps). Parameters are variables and live on.
        save([inputs[0]!]);
        const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
          let k = 0;
          const replay: RunCtx = ctx.dropoutSeed ? { dropoutSeed: () => seeds[k++]! } : {};
          return recomputeGrads(
            (xi, ...ps) => layer.apply(asMap(ps), xi as tf.Tensor4D, replay),
            [saved[0]!, ...inputs.slice(1)],
            dy,
          );
        };
        return { value, gradFunc };
      });
      return run(x, ...names.map((n) => p[n]!)) as tf.Tensor4D;
    },
  };
}
