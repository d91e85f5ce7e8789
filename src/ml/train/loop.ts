// The epoch/step loop shared by pix2pix and CycleGAN: LR schedule, loss log, per-epoch samples,
// checkpoints and resume, progress with ETA. Model-specific work lives in the GanTrainer.
import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { TrainParams } from '../../core/stage-params.js';
import type { StageProgress } from '../../core/progress.js';
import { eventLoopYielder } from '../../core/event-loop.js';
import { unitRangeToRgb, writePng } from '../io/image.js';
import { loadLatestCheckpoint, saveCheckpoint, type LoopState, type LossRecord } from './checkpoint.js';
import type { GanTrainer } from './gan-trainer.js';
import { readTerms } from './pix2pix.js';
import { convChoicesToSave, describeTunings, restoreConvChoices, tunePendingConvs } from '../webgpu/conv-autotune.js';
import { currentBackend } from '../backend.js';
import { lrFactor } from './schedule.js';
import type { BatchSource } from './types.js';

export interface LoopOptions {
  trainer: GanTrainer;
  data: BatchSource;
  train: TrainParams['train'];
  /** Checkpoints and samples survive here across interruptions. */
  workDir: string;
  /** losses.jsonl is written here. */
  outDir: string;
  progress?(p: StageProgress): void;
  log?(line: string): void;
  signal?: AbortSignal;
  /** Stop (after checkpointing) once this many epochs are done: simulates an interruption in tests. */
  stopAfterEpochs?: number;
}

export interface LoopResult {
  steps: number;
  epochs: number;
  stepsPerEpoch: number;
  /** Training seconds (all sessions) and per step. */
  seconds: number;
  secondsPerStep: number;
  resumedFromEpoch: number | null;
  finalLosses: Record<string, number>;
  lossHistory: LossRecord[];
}

export function stepsPerEpoch(train: TrainParams['train'], epochSize: number): number {
  const full = Math.ceil(epochSize / train.batch_size);
  return train.steps_per_epoch == null ? full : train.steps_per_epoch;
}

// eslint-disable-next-line max-lines-per-function -- the epoch/step loop with checkpoint and progress; to split next
export async function trainLoop(o: LoopOptions): Promise<LoopResult> {
  const { trainer, data, train } = o;
  const perEpoch = stepsPerEpoch(train, data.epochSize);
  const totalEpochs = train.epochs + train.epochs_decay;
  const totalSteps = perEpoch * totalEpochs;
  const samplesDir = path.join(o.workDir, 'samples');
  await fs.mkdir(samplesDir, { recursive: true });
  await fs.mkdir(o.outDir, { recursive: true });

  let state: LoopState = {
    step: 0,
    epoch: 0,
    adamSteps: trainer.nets.adamSteps(),
    lossHistory: [],
    rng: { seed: train.seed, scheme: 'seed/stream/step' },
    seconds: 0,
  };
  let resumedFromEpoch: number | null = null;
  const ckpt = await loadLatestCheckpoint(o.workDir);
  if (ckpt) {
    restore(trainer, ckpt.tensors);
    state = ckpt.state;
    trainer.nets.setAdamSteps(state.adamSteps);
    resumedFromEpoch = state.epoch;
    o.log?.(`resuming from ${ckpt.dir} (epoch ${state.epoch}, step ${state.step})`);
    const reused = restoreConvChoices(state.convAutotune, adapterIdentity());
    if (reused) o.log?.(`conv autotune: continuing on the ${reused} kernel choices of the checkpoint`);
  }

  const lossFile = path.join(o.outDir, 'losses.jsonl');
  await fs.writeFile(lossFile, state.lossHistory.map((r) => JSON.stringify(r) + '\n').join(''));
  let last: Record<string, number> = termsOf(state.lossHistory.at(-1));
  let lastProgress = 0;
  const sessionStart = { t: performance.now(), step: state.step, seconds: state.seconds };

  const reads = new LossReads((terms) => (last = terms));
  const yieldTurn = eventLoopYielder(); // so a stop signal is seen within a step, not at the end of the epoch
  for (let epoch = state.epoch; epoch < totalEpochs; epoch++) {
    if (o.stopAfterEpochs !== undefined && epoch >= o.stopAfterEpochs) break;
    const lr = train.lr * lrFactor(epoch, train.epochs, train.epochs_decay);
    for (let i = 0; i < perEpoch; i++) {
      await yieldTurn();
      const tuned = await tunePendingConvs(); // PIPE_WEBGPU_CONV_AUTOTUNE=1: products met for the first time
      if (tuned.length) o.log?.(describeTunings(tuned));
      if (o.signal?.aborted) throw o.signal.reason ?? new Error('training aborted');
      const batch = data.batch(epoch, i);
      try {
        const terms = trainer.launch(batch, lr, state.step);
        state.step++;
        const logged = state.step % train.log_every === 0;
        if (logged || state.step === totalSteps) {
          await reads.add(terms, logged ? { step: state.step, epoch: epoch + 1, lr } : undefined);
        } else {
          tf.dispose(Object.values(terms));
        }
        if (i === perEpoch - 1)
          await writeSample(
            trainer,
            batch,
            state.step,
            path.join(samplesDir, `epoch-${String(epoch + 1).padStart(4, '0')}.png`),
          );
      } finally {
        tf.dispose([batch.A, batch.B]);
      }
      const now = performance.now();
      state.seconds = sessionStart.seconds + (now - sessionStart.t) / 1000;
      if (now - lastProgress > 1000 || state.step === totalSteps) {
        lastProgress = now;
        const perStep = (now - sessionStart.t) / 1000 / (state.step - sessionStart.step);
        const terms = Object.entries(last)
          .map(([k, v]) => `${k} ${v.toFixed(3)}`)
          .join(' ');
        o.progress?.({
          message: `epoch ${epoch + 1}/${totalEpochs} step ${i + 1}/${perEpoch} ${terms}`,
          fraction: state.step / totalSteps,
          epoch: epoch + 1,
          step: state.step,
          totalSteps,
          etaSeconds: perStep * (totalSteps - state.step),
          losses: last,
        });
      }
    }
    const records = await reads.drain();
    state.lossHistory.push(...records);
    if (records.length) await fs.appendFile(lossFile, records.map((r) => JSON.stringify(r) + '\n').join(''));
    state.epoch = epoch + 1;
    if (
      state.epoch % train.checkpoint_every === 0 ||
      state.epoch === totalEpochs ||
      state.epoch === o.stopAfterEpochs
    ) {
      state.adamSteps = trainer.nets.adamSteps();
      state.convAutotune = convChoicesToSave(adapterIdentity());
      await saveCheckpoint(o.workDir, state, { ...trainer.nets.stateTensors(), ...trainer.extraTensors() });
    }
  }

  return {
    steps: state.step,
    epochs: state.epoch,
    stepsPerEpoch: perEpoch,
    seconds: state.seconds,
    secondsPerStep: state.step ? state.seconds / state.step : 0,
    resumedFromEpoch,
    finalLosses: last,
    lossHistory: state.lossHistory,
  };
}

/**
 * Loss scalars read without stalling the device queue: a read is started when the step is queued and awaited only
 * when the next read starts (at most one read in flight, so the loop runs at most log_every steps ahead of the GPU)
 * or at the end of the epoch. On cpu/wasm the values are there already and this changes nothing.
 */
class LossReads {
  private inFlight: Promise<void> = Promise.resolve();
  private records: LossRecord[] = [];

  constructor(private readonly onTerms: (terms: Record<string, number>) => void) {}

  async add(terms: Record<string, tf.Scalar>, meta?: Pick<LossRecord, 'step' | 'epoch' | 'lr'>): Promise<void> {
    const previous = this.inFlight;
    // Chained on the previous read, so records and `last` follow step order whatever order the reads finish in.
    this.inFlight = Promise.all([previous, readTerms(terms)]).then(([, values]) => {
      this.onTerms(values);
      if (meta) this.records.push({ ...meta, ...values });
    });
    // A failed read (a device error) is rethrown by the next add or drain; until then it must not count as unhandled.
    this.inFlight.catch(() => undefined);
    await previous;
  }

  /** Waits for the read in flight; returns the records gathered since the last drain, in step order. */
  async drain(): Promise<LossRecord[]> {
    await this.inFlight;
    const out = this.records;
    this.records = [];
    return out;
  }
}

function termsOf(rec?: LossRecord): Record<string, number> {
  if (!rec) return {};
  const { step: _s, epoch: _e, lr: _l, ...terms } = rec;
  return terms;
}

function restore(trainer: GanTrainer, tensors: Record<string, tf.Tensor>): void {
  const vars = trainer.nets.stateTensors();
  for (const [name, v] of Object.entries(vars)) {
    const t = tensors[name];
    if (!t) throw new Error(`checkpoint lacks "${name}": it was written by a different model configuration`);
    v.assign(t);
    t.dispose();
    delete tensors[name];
  }
  // What remains belongs to the trainer (image pools), which takes ownership.
  trainer.restoreExtra(tensors);
}

/** The sample row, tiled left to right, as one PNG. */
async function writeSample(
  trainer: GanTrainer,
  batch: { A: tf.Tensor4D; B: tf.Tensor4D },
  step: number,
  file: string,
): Promise<void> {
  const row = trainer.sample(batch, step);
  const [k, h, w] = row.shape;
  const tiled = tf.tidy(() => tf.reshape(tf.transpose(row, [1, 0, 2, 3]), [h, k * w, 3]));
  const values = await tiled.data();
  tf.dispose([row, tiled]);
  await writePng(file, unitRangeToRgb(values, k * w, h));
}

/** The adapter conv autotuning timed on: its facts and Dawn's version (a choice made on another GPU is not reused). */
function adapterIdentity(): string {
  const d = currentBackend()?.details;
  return JSON.stringify({ adapter: d?.adapterInfo ?? null, dawn: d?.dawn ?? null });
}
