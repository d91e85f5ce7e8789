// A frozen feature network: pretrained filters held as tf constants (never variables), run through the engine's ops
// (frozenConv2d, maxPool) so gradients reach the input on every backend, and evaluated only through the deepest
// requested layer.
import * as tf from '@tensorflow/tfjs-core';
import { disposeFrozenFilters, frozenConv2d, maxPool } from '../ops/index.js';
import { loadWeightSet, readWeightsFile, takeTensors, formatOfPath } from '../weights/load.js';
import type { LocateOptions } from '../weights/locate.js';
import type { WeightSetId } from '../weights/registry.js';
import { StageUserError } from '../../core/errors.js';
import type { NamedArray, WeightMap } from '../weights/types.js';
import { layerNamesOf, opsThrough, type ArchName, type ConvOp, type Op } from './architectures.js';

export type WeightLayout = 'torch' | 'keras';

export interface FrozenNet {
  arch: ArchName;
  /** Layers this instance can compute (those up to the deepest one loaded). */
  layerNames: string[];
  /** Features of already-normalised input; only the requested layers are returned. */
  run(x: tf.Tensor4D, layers: readonly string[]): Record<string, tf.Tensor4D>;
  /** Where the weights came from. */
  source: { file: string; sha256?: string; origin: string };
  dispose(): void;
}

interface Conv {
  w: tf.Tensor4D;
  b: tf.Tensor1D;
}

interface Wanted {
  key: string;
  fileKey: string;
  shape: number[];
}

function convSpecs(op: Op): { key: string; cin: number; cout: number; k: number }[] {
  if (op.kind === 'conv') return [{ key: op.torchKey, cin: op.cin, cout: op.cout, k: op.k }];
  if (op.kind === 'fire')
    return [
      { key: `${op.torchKey}.squeeze`, cin: op.cin, cout: op.squeeze, k: 1 },
      { key: `${op.torchKey}.expand1x1`, cin: op.squeeze, cout: op.expand, k: 1 },
      { key: `${op.torchKey}.expand3x3`, cin: op.squeeze, cout: op.expand, k: 3 },
    ];
  return [];
}

/** Model tensor names (torch keys) -> names and shapes in the file. */
function wantedTensors(ops: Op[], layout: WeightLayout, fileNames: readonly string[] | undefined): Wanted[] {
  const out: Wanted[] = [];
  for (const op of ops) {
    if (layout === 'keras') {
      if (op.kind !== 'conv') continue;
      const name = (op as ConvOp).kerasName!;
      // Keras 2 .h5: `block1_conv1/block1_conv1/kernel:0`; the Keras 1 era release files: `block1_conv1/block1_conv1_W_1:0`;
      // tfjs manifests: `block1_conv1/kernel`.
      const find = (what: 'kernel' | 'bias') => {
        const short = what === 'kernel' ? 'W' : 'b';
        const re = new RegExp(`(^|/)${name}(/${what}|_${short}(_\\d+)?)(:0)?$`);
        return fileNames?.find((n) => re.test(n)) ?? `${name}/${what}`;
      };
      out.push({ key: `${op.torchKey}.weight`, fileKey: find('kernel'), shape: [op.k, op.k, op.cin, op.cout] });
      out.push({ key: `${op.torchKey}.bias`, fileKey: find('bias'), shape: [op.cout] });
      continue;
    }
    for (const c of convSpecs(op)) {
      out.push({ key: `${c.key}.weight`, fileKey: `${c.key}.weight`, shape: [c.cout, c.cin, c.k, c.k] });
      out.push({ key: `${c.key}.bias`, fileKey: `${c.key}.bias`, shape: [c.cout] });
    }
  }
  return out;
}

function kerasLayerOf(fileName: string): string | undefined {
  return /(?:^|\/)(block\d_conv\d)(?:\/(?:kernel|bias)|_[Wb](?:_\d+)?)(?::0)?$/.exec(fileName)?.[1];
}

export interface LoadNetOptions extends LocateOptions {
  arch: ArchName;
  layout: WeightLayout;
  /** Registry entry to load (mirror -> cache -> download). */
  weightSet?: WeightSetId;
  /** An explicit weights file instead of the registry (format from its extension). */
  file?: string;
  /** Layers that will be asked for; weights beyond the deepest are not read. Default: all. */
  layers?: readonly string[];
}

export function checkLayers(arch: ArchName, layers: readonly string[]): void {
  const names = layerNamesOf(arch);
  const unknown = layers.filter((l) => !names.includes(l));
  if (unknown.length)
    throw new StageUserError('PIPE_BACKBONE_LAYER', `${arch} has no layer ${unknown.join(', ')}; its layers are ${names.join(', ')}.`);
}

export async function loadFrozenNet(opts: LoadNetOptions): Promise<FrozenNet> {
  const all = layerNamesOf(opts.arch);
  const layers = opts.layers?.length ? opts.layers : all;
  checkLayers(opts.arch, layers);
  const ops = opsThrough(opts.arch, layers);
  const keys = new Set(wantedTensors(ops, opts.layout, undefined).map((w) => w.fileKey));
  const kerasLayers = new Set(ops.flatMap((op) => (op.kind === 'conv' && op.kerasName ? [op.kerasName] : [])));
  const only = (name: string) => (opts.layout === 'keras' ? kerasLayers.has(kerasLayerOf(name) ?? '') : keys.has(name));

  let loaded: { file: string; sha256?: string; source: string; weights: WeightMap; missingShards: string[] };
  if (opts.file) {
    const r = await readWeightsFile(opts.file, formatOfPath(opts.file), { only });
    loaded = { file: opts.file, source: 'file', ...r };
  } else {
    if (!opts.weightSet) throw new Error('loadFrozenNet: weightSet or file is required');
    loaded = await loadWeightSet(opts.weightSet, { ...opts, only });
  }
  const context = `${opts.arch} (${opts.layout === 'keras' ? 'Keras' : 'torchvision'} weights)`;
  const tensors = takeTensors(loaded, wantedTensors(ops, opts.layout, [...loaded.weights.keys()]), context);
  const convs = toConvs(tensors, opts.layout);
  const computable = all.slice(0, all.indexOf(layers.reduce((a, l) => (all.indexOf(l) > all.indexOf(a) ? l : a))) + 1);
  return makeNet(opts.arch, ops, convs, computable, { file: loaded.file, sha256: loaded.sha256, origin: loaded.source });
}

function toConvs(tensors: Map<string, NamedArray>, layout: WeightLayout): Map<string, Conv> {
  const convs = new Map<string, Conv>();
  for (const [key, t] of tensors) {
    if (!key.endsWith('.weight')) continue;
    const prefix = key.slice(0, -'.weight'.length);
    const bias = tensors.get(`${prefix}.bias`)!;
    const w = tf.tidy(() => {
      const raw = tf.tensor4d(t.data, t.shape as [number, number, number, number]);
      // PyTorch OIHW -> HWIO; Keras kernels are HWIO already.
      return layout === 'torch' ? tf.transpose(raw, [2, 3, 1, 0]) : raw;
    });
    convs.set(prefix, { w, b: tf.tensor1d(bias.data) });
  }
  return convs;
}

function makeNet(arch: ArchName, ops: Op[], convs: Map<string, Conv>, layerNames: string[], source: FrozenNet['source']): FrozenNet {
  const conv = (x: tf.Tensor4D, key: string, stride: number, pad: number) => {
    const c = convs.get(key)!;
    return tf.relu(tf.add(frozenConv2d(x, c.w, stride, pad), c.b)) as tf.Tensor4D;
  };
  let disposed = false;
  return {
    arch,
    layerNames,
    source,
    run(x, layers) {
      if (disposed) throw new Error(`${arch}: backbone used after dispose()`);
      const missing = layers.filter((l) => !layerNames.includes(l));
      if (missing.length)
        throw new StageUserError(
          'PIPE_BACKBONE_LAYER',
          `${arch} was loaded for layers up to ${layerNames[layerNames.length - 1]}; ${missing.join(', ')} ` +
            `${missing.length > 1 ? 'are' : 'is'} not available. Load it with every layer it will be asked for ` +
            `(${arch} layers: ${layerNamesOf(arch).join(', ')}).`,
        );
      const wanted = new Set(layers);
      const last = opsThrough(arch, layers).length;
      return tf.tidy(() => {
        const out: Record<string, tf.Tensor4D> = {};
        let h = x;
        for (const op of ops.slice(0, last)) {
          if (op.kind === 'conv') h = conv(h, op.torchKey, op.stride, op.pad);
          else if (op.kind === 'pool') h = maxPool(h, op.size, op.stride, 'valid', op.ceil);
          else if (op.kind === 'fire') {
            const s = conv(h, `${op.torchKey}.squeeze`, 1, 0);
            h = tf.concat([conv(s, `${op.torchKey}.expand1x1`, 1, 0), conv(s, `${op.torchKey}.expand3x3`, 1, 1)], 3);
          } else if (wanted.has(op.name)) out[op.name] = h;
        }
        return out;
      });
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const c of convs.values()) {
        c.w.dispose();
        c.b.dispose();
      }
      // The ops cache gradient filters per frozen filter and sweep disposed ones only lazily; release them now so a
      // disposed backbone leaves no tensors behind (live backbones just rebuild theirs on next use).
      disposeFrozenFilters();
    },
  };
}
