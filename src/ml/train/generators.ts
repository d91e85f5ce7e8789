// Loads a train stage's published generators for inference (the evaluate stage).
//
// Test-time behaviour follows the reference's test.py without --eval: batch norm normalises with the
// statistics of the batch it is given (no running averages exist) and dropout stays on, as pix2pix
// uses it as its noise source. Masks come from a seeded stream, so a fixed sequence of predict calls is
// reproducible. Feed one image per call to match test.py (batch_size 1); pass { dropout: false } for a
// deterministic, dropout-free generator.
import path from 'node:path';
import fs from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { generatorFor } from '../models/index.js';
import { readTensors } from '../models/tensor-file.js';
import type { ParamMap } from '../models/params.js';
import { seedSource, stepRng } from './rng.js';
import { MODEL_FILE, WEIGHTS_BASE, type SavedModel } from './saved-model.js';

export interface Generator {
  /** NHWC RGB in [-1,1] -> NHWC RGB in [-1,1]; the caller owns the result. */
  predict(x: tf.Tensor4D): tf.Tensor4D;
  parameterCount: number;
  /** The loaded tensors by pipe parameter name (for export). */
  params: ParamMap;
  dispose(): void;
}

export interface LoadedGenerators {
  AtoB: Generator;
  BtoA?: Generator;
  model: SavedModel;
  dispose(): void;
}

export interface LoadOptions {
  dropout?: boolean;
  /** 'running': normalise with the `<net>/<norm>.running_mean|var` tensors the weights hold (imported models). */
  normStats?: 'batch' | 'running';
}

export async function loadGenerators(trainDir: string, opts: LoadOptions = {}): Promise<LoadedGenerators> {
  const model = JSON.parse(await fs.readFile(path.join(trainDir, MODEL_FILE), 'utf8')) as SavedModel;
  const { tensors } = await readTensors(trainDir, WEIGHTS_BASE);
  const build = (net: string): Generator => {
    const layer = generatorFor(model.model, model.cropSize);
    const params: ParamMap = {};
    for (const s of layer.specs) {
      const t = tensors[`${net}/${s.name}`];
      if (!t) throw new Error(`${trainDir}: weights lack "${net}/${s.name}"`);
      params[s.name] = t;
      for (const b of ['running_mean', 'running_var']) {
        const r = tensors[`${net}/${s.name.replace(/\.weight$/, '')}.${b}`];
        if (s.name.endsWith('.weight') && r) params[`${s.name.replace(/\.weight$/, '')}.${b}`] = r;
      }
    }
    let calls = 0;
    return {
      parameterCount: Object.values(params).reduce((n, t) => n + t.size, 0),
      params,
      predict: (x) =>
        tf.tidy(() =>
          layer.apply(params, x, {
            normStats: opts.normStats,
            ...(opts.dropout === false
              ? {}
              : { dropoutSeed: seedSource(stepRng(model.seed, `predict/${net}`, calls++)) }),
          }),
        ),
      dispose: () => tf.dispose(Object.values(params)),
    };
  };
  const AtoB = build(model.generators.AtoB);
  const BtoA = model.generators.BtoA ? build(model.generators.BtoA) : undefined;
  return {
    AtoB,
    BtoA,
    model,
    dispose: () => {
      AtoB.dispose();
      BtoA?.dispose();
    },
  };
}
