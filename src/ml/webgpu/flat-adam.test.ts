// The fused Adam step on webgpu (Mesa llvmpipe here and in CI) against the per-parameter kernel, the cpu backend and
// itself across a checkpoint: one dispatch per flat segment, bit for bit the per-parameter arithmetic.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import type { VariableMap } from '../models/params.js';
import { adamUpdate } from '../ops/adam_update.js';
import { randomArr } from '../ops/testing.js';
import { Adam } from '../train/adam.js';
import { loadLatestCheckpoint, saveCheckpoint, type LoopState } from '../train/checkpoint.js';
import { countDispatches } from './dispatches.js';
import { FlatAdam } from './flat-adam.js';
import { data, expectSkipAllowed, onBoth, relMaxError, webgpuSkipReason } from './test-support.js';

const skipped = await webgpuSkipReason();
const title = skipped ? `fused Adam on webgpu (skipped: ${skipped})` : 'fused Adam on webgpu';

const OPTS = { beta1: 0.5, beta2: 0.999 };
const LR = 0.0002;
// Odd sizes, a scalar and a one-element parameter, a conv filter, then many small ones.
const SHAPES = [
  [3, 5, 7],
  [],
  [1],
  [17],
  [4, 4, 3, 5],
  [2, 1],
  ...Array.from({ length: 40 }, (_, i) => [1 + (i % 7), 3]),
];
const NAMES = SHAPES.map((_, i) => `net/p${i}`);

const params = (): VariableMap =>
  Object.fromEntries(SHAPES.map((s, i) => [NAMES[i]!, tf.variable(tf.tensor(randomArr(s, 100 + i).data, s))]));

/** Gradients of step `step` (1-based), one per name unless skipped; a NaN in one of them at step 2. */
function grads(step: number, skip?: string): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  SHAPES.forEach((s, i) => {
    if (NAMES[i] === skip) return;
    const g = randomArr(s, 1000 * step + i);
    if (step === 2 && i === 3) g.data[5] = NaN;
    out[NAMES[i]!] = tf.tensor(g.data, s);
  });
  return out;
}

const readAll = (map: VariableMap) => Promise.all(Object.values(map).map(data));

/** p, m, v after `steps` steps of the per-parameter path (one adamUpdate per parameter, as before the fused step). */
async function perParameter(steps: number, skipAt?: { step: number; name: string }) {
  const p = params();
  const m = Object.fromEntries(NAMES.map((n) => [n, tf.variable(tf.zerosLike(p[n]!))]));
  const v = Object.fromEntries(NAMES.map((n) => [n, tf.variable(tf.zerosLike(p[n]!))]));
  for (let t = 1; t <= steps; t++) {
    const g = grads(t, skipAt?.step === t ? skipAt.name : undefined);
    for (const [n, gi] of Object.entries(g))
      adamUpdate(p[n]!, m[n]!, v[n]!, gi, { lr: LR, ...OPTS, eps: 1e-8, step: t });
    tf.dispose(Object.values(g));
  }
  const out = { p: await readAll(p), m: await readAll(m), v: await readAll(v) };
  tf.dispose([...Object.values(p), ...Object.values(m), ...Object.values(v)]);
  return out;
}

/** The same through the optimiser class, with the dispatches and copies of each step. */
async function optimiser(steps: number, skipAt?: { step: number; name: string }) {
  const p = params();
  const adam = new Adam(p, OPTS);
  const counts = [];
  for (let t = 1; t <= steps; t++) {
    const g = grads(t, skipAt?.step === t ? skipAt.name : undefined);
    counts.push((await countDispatches(() => adam.step(g, LR))).dispatches);
    tf.dispose(Object.values(g));
  }
  const state = adam.stateTensors('');
  const pick = (k: string) => Object.fromEntries(NAMES.map((n) => [n, state[`${k}/${n}`]!]));
  const out = { p: await readAll(p), m: await readAll(pick('m')), v: await readAll(pick('v')), counts };
  adam.dispose();
  tf.dispose(Object.values(p));
  return out;
}

const bits = (xs: Float32Array[]) => xs.map((x) => Array.from(x));

type State = Record<'p' | 'm' | 'v', Float32Array[]>;
/** Within 1e-5 of max |value| per tensor, with NaNs in the same places. */
function expectClose(want: State, got: State) {
  const finite = (a: Float32Array) => a.map((x) => (Number.isNaN(x) ? 0 : x));
  for (const k of ['p', 'm', 'v'] as const)
    want[k].forEach((c, i) => {
      const w = got[k][i]!;
      expect(Array.from(w, Number.isNaN), `${k} ${NAMES[i]}: NaNs`).toEqual(Array.from(c, Number.isNaN));
      expect(relMaxError(finite(c), finite(w)), `${k} ${NAMES[i]}`).toBeLessThan(1e-5);
    });
}

async function onWebgpu<T>(f: () => Promise<T>): Promise<T> {
  await initBackend('webgpu');
  try {
    return await f();
  } finally {
    await initBackend('cpu');
  }
}

describe.skipIf(skipped !== null)(title, () => {
  it('46 parameters in one dispatch per step, bit for bit the per-parameter kernel, within 1e-5 of cpu', async () => {
    const gpu = await onWebgpu(async () => ({ fused: await optimiser(3), single: await perParameter(3) }));
    for (const k of ['p', 'm', 'v'] as const) expect(bits(gpu.fused[k]), k).toEqual(bits(gpu.single[k]));
    const n = SHAPES.length;
    expect(gpu.fused.counts.map((c) => [c.total, c.byProgram.PipeAdamFlat, c.copies])).toEqual([
      [1, 1, 3 * n], // the first step also copies the parameters in
      [1, 1, 2 * n],
      [1, 1, 2 * n],
    ]);
    const r = await onBoth(() => optimiser(3));
    expectClose(r.cpu, r.webgpu);
    expect(Number.isNaN(gpu.fused.p[3]![5])).toBe(true); // the NaN gradient reaches its own element only
    expect(gpu.fused.p[3]!.filter(Number.isNaN)).toHaveLength(1);
  });

  it('segments: split at a small capacity, one dispatch each, the same bits', async () => {
    await onWebgpu(async () => {
      const p = params();
      const flat = FlatAdam.create(p, 300)!;
      expect(flat.dispatchesPerStep).toBeGreaterThan(2);
      for (let t = 1; t <= 3; t++) {
        const g = grads(t);
        const { dispatches } = await countDispatches(() => flat.step(g, { lr: LR, ...OPTS, eps: 1e-8, step: t }));
        expect(dispatches.total).toBe(flat.dispatchesPerStep);
        tf.dispose(Object.values(g));
      }
      const { m, v } = flat.moments();
      const got = { p: await readAll(p), m: await readAll(m), v: await readAll(v) };
      flat.dispose();
      tf.dispose(Object.values(p));
      const want = await perParameter(3);
      for (const k of ['p', 'm', 'v'] as const) expect(bits(got[k]), k).toEqual(bits(want[k]));
    });
  });

  it('a step missing a gradient leaves that parameter alone and goes on per parameter, the same bits', async () => {
    await onWebgpu(async () => {
      const skipAt = { step: 2, name: NAMES[4]! };
      const fused = await optimiser(3, skipAt);
      const single = await perParameter(3, skipAt);
      for (const k of ['p', 'm', 'v'] as const) expect(bits(fused[k]), k).toEqual(bits(single[k]));
      expect(fused.counts[2]!.byProgram).toEqual({ PipeAdam: SHAPES.length });
    });
  });

  it('never changes a tensor that shares a parameter, nor a gradient', async () => {
    await onWebgpu(async () => {
      const init = tf.tensor(randomArr([3, 5], 7).data, [3, 5]);
      const p = { w: tf.variable(init) }; // shares init's storage
      const adam = new Adam(p, OPTS);
      const g = tf.tensor(randomArr([3, 5], 8).data, [3, 5]);
      adam.step({ w: g }, 0.1);
      adam.step({ w: g }, 0.1);
      expect(Array.from(await data(init))).toEqual(Array.from(randomArr([3, 5], 7).data));
      expect(Array.from(await data(g))).toEqual(Array.from(randomArr([3, 5], 8).data));
      expect(relMaxError(await data(init), await data(p.w))).toBeGreaterThan(0.01);
      adam.dispose();
      tf.dispose([init, g, p.w]);
    });
  });

  it('a parameter assigned between steps (restore, init_from) is taken in', async () => {
    await onWebgpu(async () => {
      const run = async (fused: boolean) => {
        const p = { w: tf.variable(tf.tensor(randomArr([5, 3], 1).data, [5, 3])) };
        const adam = fused ? new Adam(p, OPTS) : undefined;
        const m = tf.variable(tf.zeros([5, 3]));
        const v = tf.variable(tf.zeros([5, 3]));
        for (let t = 1; t <= 3; t++) {
          if (t === 3) p.w.assign(tf.tensor(randomArr([5, 3], 2).data, [5, 3]));
          const g = tf.tensor(randomArr([5, 3], 10 + t).data, [5, 3]);
          if (adam) adam.step({ w: g }, 0.1);
          else adamUpdate(p.w, m, v, g, { lr: 0.1, ...OPTS, eps: 1e-8, step: t });
          g.dispose();
        }
        const out = Array.from(await data(p.w));
        adam?.dispose();
        tf.dispose([p.w, m, v]);
        return out;
      };
      expect(await run(true)).toEqual(await run(false));
    });
  });

  it('PIPE_WEBGPU_KERNELS=stock: stock kernels, no fused step', async () => {
    process.env.PIPE_WEBGPU_KERNELS = 'stock';
    try {
      await onWebgpu(async () => {
        const r = await optimiser(1);
        expect(Object.keys(r.counts[0]!.byProgram).some((k) => k.startsWith('Pipe'))).toBe(false);
        expect(r.counts[0]!.copies).toBe(0);
      });
    } finally {
      delete process.env.PIPE_WEBGPU_KERNELS;
    }
  });

  it('switched to stock kernels mid-run: goes on per parameter from the fused moments', async () => {
    await onWebgpu(async () => {
      const p = params();
      const adam = new Adam(p, OPTS);
      const counts = [];
      try {
        for (let t = 1; t <= 3; t++) {
          if (t === 2) process.env.PIPE_WEBGPU_KERNELS = 'stock';
          const g = grads(t);
          counts.push((await countDispatches(() => adam.step(g, LR))).dispatches.byProgram);
          tf.dispose(Object.values(g));
        }
      } finally {
        delete process.env.PIPE_WEBGPU_KERNELS;
      }
      const s = adam.stateTensors('');
      const pick = (k: string) => Object.fromEntries(NAMES.map((n) => [n, s[`${k}/${n}`]!]));
      const got = { p: await readAll(p), m: await readAll(pick('m')), v: await readAll(pick('v')) };
      adam.dispose();
      tf.dispose(Object.values(p));
      expect(counts[0]).toEqual({ PipeAdamFlat: 1 });
      expect(Object.keys(counts[2]!).some((k) => k.startsWith('Pipe'))).toBe(false);
      expectClose(await perParameter(3), got);
    });
  });
});

describe.skipIf(skipped !== null)(`${title}: checkpoints`, () => {
  const state = (t: number): LoopState => ({
    step: t,
    epoch: t,
    adamSteps: { o: t },
    lossHistory: [],
    rng: { seed: 1, scheme: 'seed/stream/step' },
    seconds: 0,
  });

  /** As train/loop.ts restores: assign each saved tensor to the variable of the same name. */
  async function resume(dir: string, from: number, to: number) {
    const p = params();
    const adam = new Adam(p, OPTS);
    const ckpt = (await loadLatestCheckpoint(dir))!;
    const vars: VariableMap = { ...prefixed(p), ...adam.stateTensors('opt/o/') };
    for (const [name, v] of Object.entries(vars)) {
      v.assign(ckpt.tensors[name]!);
      ckpt.tensors[name]!.dispose();
    }
    adam.t = ckpt.state.adamSteps.o!;
    expect(adam.t).toBe(from);
    for (let t = from + 1; t <= to; t++) {
      const g = grads(t);
      adam.step(g, LR);
      tf.dispose(Object.values(g));
    }
    const s = adam.stateTensors('');
    const out = [p, ...['m', 'v'].map((k) => Object.fromEntries(NAMES.map((n) => [n, s[`${k}/${n}`]!])))];
    const values = await Promise.all(out.map(readAll));
    adam.dispose();
    tf.dispose(Object.values(p));
    return values.flatMap(bits);
  }
  const prefixed = (p: VariableMap) => Object.fromEntries(Object.entries(p).map(([k, v]) => [`net/${k}`, v]));

  it('saved after 2 steps and resumed, 4 steps end bit for bit as 4 uninterrupted; old checkpoints load', async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-flat-adam-'));
    try {
      await onWebgpu(async () => {
        const whole = await optimiser(4);
        const wholeBits = [whole.p, whole.m, whole.v].flatMap(bits);
        // A checkpoint from the fused step, and one written as before it (per-parameter moments, same names).
        for (const fused of [true, false]) {
          const dir = path.join(tmp, String(fused));
          const p = params();
          const tensors = fused ? await stepsToState(p, 2) : await perParameterState(p, 2);
          await saveCheckpoint(dir, state(2), { ...prefixed(p), ...tensors.state });
          tensors.dispose();
          tf.dispose(Object.values(p));
          expect(await resume(dir, 2, 4), fused ? 'fused checkpoint' : 'per-parameter checkpoint').toEqual(wholeBits);
        }
      });
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });

  async function stepsToState(p: VariableMap, steps: number) {
    const adam = new Adam(p, OPTS);
    for (let t = 1; t <= steps; t++) {
      const g = grads(t);
      adam.step(g, LR);
      tf.dispose(Object.values(g));
    }
    return { state: adam.stateTensors('opt/o/'), dispose: () => adam.dispose() };
  }

  async function perParameterState(p: VariableMap, steps: number) {
    const m = Object.fromEntries(NAMES.map((n) => [n, tf.variable(tf.zerosLike(p[n]!))]));
    const v = Object.fromEntries(NAMES.map((n) => [n, tf.variable(tf.zerosLike(p[n]!))]));
    for (let t = 1; t <= steps; t++) {
      const g = grads(t);
      for (const n of NAMES) adamUpdate(p[n]!, m[n]!, v[n]!, g[n]!, { lr: LR, ...OPTS, eps: 1e-8, step: t });
      tf.dispose(Object.values(g));
    }
    const st: VariableMap = {};
    for (const n of NAMES) Object.assign(st, { [`opt/o/m/${n}`]: m[n]!, [`opt/o/v/${n}`]: v[n]! });
    return { state: st, dispose: () => tf.dispose([...Object.values(m), ...Object.values(v)]) };
  }
});

it.runIf(skipped !== null)('reports why the fused Adam tests were skipped (and fails in CI)', () => {
  expectSkipAllowed(skipped);
});
