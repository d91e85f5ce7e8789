// Parameters as plain data: a model is a list of named parameter specs plus a pure forward function,
// so counting, initialising, checkpointing and optimising are generic over every architecture.
import * as tf from '@tensorflow/tfjs-core';

/** normal: N(0, gain) conv weights; gamma: N(1, gain) norm scales; zeros: biases and norm offsets. */
export type InitKind = 'normal' | 'gamma' | 'zeros';

export interface ParamSpec {
  name: string;
  shape: number[];
  init: InitKind;
}

/** Parameter name -> tensor (Variables while training, plain tensors when loaded for inference). */
export type ParamMap = Record<string, tf.Tensor>;
export type VariableMap = Record<string, tf.Variable>;

export function countParams(specs: readonly ParamSpec[]): number {
  return specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
}

/** 32-bit FNV-1a: a stable per-name seed so each tensor's init is independent of creation order. */
export function hashSeed(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join('/')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Reference init (networks.init_weights, init_type 'normal'): conv weights N(0, gain), BatchNorm
 * weight N(1, gain), biases 0. Deterministic given seed: each tensor draws from its own seeded stream.
 */
export function initParams(specs: readonly ParamSpec[], seed: number, gain: number, prefix = ''): VariableMap {
  const out: VariableMap = {};
  for (const s of specs) {
    const value = tf.tidy(() => {
      switch (s.init) {
        case 'zeros':
          return tf.zeros(s.shape);
        case 'gamma':
          return tf.randomNormal(s.shape, 1, gain, 'float32', hashSeed(seed, prefix, s.name));
        case 'normal':
          return tf.randomNormal(s.shape, 0, gain, 'float32', hashSeed(seed, prefix, s.name));
      }
    });
    out[s.name] = tf.variable(value, true);
    value.dispose();
  }
  return out;
}

export function disposeParams(p: ParamMap): void {
  for (const t of Object.values(p)) t.dispose();
}
