// A frozen feature network: pretrained filters held as tf constants (never variables), run through the engine's ops
// (frozenConv2d, maxPool) so gradients reach the input on every backend, and evaluated only through the deepest
// requested layer.
import * as tf from '@tensorflow/tfjs-core';
import {
  disposeFrozenFilters,
  frozenConv2d,
  frozenBiasRelu,
  frozenDepthwiseConv2d,
  maxPool,
  prepareDepthwiseFilter,
  type FrozenDepthwiseFilter,
} from '../ops/index.js';
import { loadWeightSet, readWeightsFile, takeTensors, formatOfPath } from '../weights/load.js';
import type { LocateOptions } from '../weights/locate.js';
import type { WeightSetId } from '../weights/registry.js';
import { StageUserError } from '../../core/errors.js';
import type { NamedArray, WeightMap } from '../weights/types.js';
import {
  ARCHITECTURES,
  layerNamesOf,
  opsThrough,
  type ArchName,
  type BottleneckOp,
  type ConvNextBlockOp,
  type ConvOp,
  type InvertedResidualOp,
  type Op,
} from './architectures.js';

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
  /** HWIO, or [k, k, C, 1] for a depthwise conv; BatchNorm already folded in. */
  w: tf.Tensor4D;
  b: tf.Tensor1D;
  depthwise?: FrozenDepthwiseFilter;
}

interface Wanted {
  key: string;
  fileKey: string;
  shape: number[];
}

/** One convolution's tensors: a conv (with bias, or followed by an eval-mode BatchNorm whose statistics are folded in). */
interface ConvSpec {
  key: string;
  cin: number;
  cout: number;
  k: number;
  /** BatchNorm state-dict prefix; absent when the conv has its own bias. */
  bn?: string;
  depthwise?: boolean;
}

const BN_EPS = 1e-5; // torchvision's BatchNorm2d default, used by ResNet and MobileNetV2
const BN_STATS = ['weight', 'bias', 'running_mean', 'running_var'] as const;

function bottleneckSpecs(op: BottleneckOp): ConvSpec[] {
  const p = op.torchKey;
  const specs: ConvSpec[] = [
    { key: `${p}.conv1`, bn: `${p}.bn1`, cin: op.cin, cout: op.width, k: 1 },
    { key: `${p}.conv2`, bn: `${p}.bn2`, cin: op.width, cout: op.width, k: 3 },
    { key: `${p}.conv3`, bn: `${p}.bn3`, cin: op.width, cout: op.cout, k: 1 },
  ];
  if (op.downsample)
    specs.push({ key: `${p}.downsample.0`, bn: `${p}.downsample.1`, cin: op.cin, cout: op.cout, k: 1 });
  return specs;
}

/** torchvision's InvertedResidual.conv: [ConvBNReLU6 expand], ConvBNReLU6 depthwise, Conv linear, BN. */
export function invertedResidualParts(op: InvertedResidualOp): { expand?: ConvSpec; dw: ConvSpec; project: ConvSpec } {
  const p = `${op.torchKey}.conv`;
  const expand = op.hidden !== op.cin;
  const i = expand ? 1 : 0;
  return {
    expand: expand ? { key: `${p}.0.0`, bn: `${p}.0.1`, cin: op.cin, cout: op.hidden, k: 1 } : undefined,
    dw: { key: `${p}.${i}.0`, bn: `${p}.${i}.1`, cin: op.hidden, cout: op.hidden, k: 3, depthwise: true },
    project: { key: `${p}.${i + 1}`, bn: `${p}.${i + 2}`, cin: op.hidden, cout: op.cout, k: 1 },
  };
}

function convSpecs(op: Op): ConvSpec[] {
  switch (op.kind) {
    case 'conv':
      return [{ key: op.torchKey, cin: op.cin, cout: op.cout, k: op.k }];
    case 'fire':
      return [
        { key: `${op.torchKey}.squeeze`, cin: op.cin, cout: op.squeeze, k: 1 },
        { key: `${op.torchKey}.expand1x1`, cin: op.squeeze, cout: op.expand, k: 1 },
        { key: `${op.torchKey}.expand3x3`, cin: op.squeeze, cout: op.expand, k: 3 },
      ];
    case 'convbn':
      return [{ key: op.conv, bn: op.bn, cin: op.cin, cout: op.cout, k: op.k, depthwise: op.depthwise }];
    case 'bottleneck':
      return bottleneckSpecs(op);
    case 'invres': {
      const parts = invertedResidualParts(op);
      return [...(parts.expand ? [parts.expand] : []), parts.dw, parts.project];
    }
    case 'convln':
      return [{ key: op.conv, cin: op.cin, cout: op.cout, k: op.k }];
    case 'cnblock':
      return [{ key: `${op.torchKey}.block.0`, cin: op.dim, cout: op.dim, k: 7, depthwise: true }];
    default:
      return [];
  }
}

/** Model tensor names (torch keys) -> names and shapes in the file. */
/** Tensors other than convolutions (ConvNeXt's LayerNorms, Linears and layer scales): state-dict key -> shape. */
function paramSpecs(op: Op): [string, number[]][] {
  if (op.kind === 'convln') {
    const c = op.order === 'conv-ln' ? op.cout : op.cin;
    return [
      [`${op.ln}.weight`, [c]],
      [`${op.ln}.bias`, [c]],
    ];
  }
  if (op.kind !== 'cnblock') return [];
  const p = `${op.torchKey}`;
  const d = op.dim;
  return [
    [`${p}.block.2.weight`, [d]],
    [`${p}.block.2.bias`, [d]],
    [`${p}.block.3.weight`, [4 * d, d]],
    [`${p}.block.3.bias`, [4 * d]],
    [`${p}.block.5.weight`, [d, 4 * d]],
    [`${p}.block.5.bias`, [d]],
    [`${p}.layer_scale`, [d, 1, 1]],
  ];
}

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
      const inPerGroup = c.depthwise ? 1 : c.cin;
      out.push({ key: `${c.key}.weight`, fileKey: `${c.key}.weight`, shape: [c.cout, inPerGroup, c.k, c.k] });
      if (!c.bn) out.push({ key: `${c.key}.bias`, fileKey: `${c.key}.bias`, shape: [c.cout] });
      else
        for (const stat of BN_STATS) out.push({ key: `${c.bn}.${stat}`, fileKey: `${c.bn}.${stat}`, shape: [c.cout] });
    }
    for (const [key, shape] of paramSpecs(op)) out.push({ key, fileKey: key, shape });
  }
  return out;
}

/** The non-conv tensors as tf constants; Linear weights [out, in] are stored transposed ([in, out]) for x W. */
function toParams(ops: Op[], tensors: Map<string, NamedArray>): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [key, shape] of ops.flatMap(paramSpecs)) {
    const t = tensors.get(key)!;
    const linear = () => tf.tidy(() => tf.transpose(tf.tensor2d(t.data, shape as [number, number])));
    out.set(key, shape.length === 2 ? linear() : tf.tensor1d(t.data));
  }
  return out;
}

const LN_EPS = 1e-6; // torchvision ConvNeXt's LayerNorm and LayerNorm2d

function layerNorm(x: tf.Tensor4D, params: Map<string, tf.Tensor>, ln: string): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, -1, true);
  const y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, LN_EPS)));
  return tf.add(tf.mul(y, params.get(`${ln}.weight`)!), params.get(`${ln}.bias`)!) as tf.Tensor4D;
}

/** Exact GELU (erf form), PyTorch's nn.GELU() default. */
function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}

function convnextBlock(
  h: tf.Tensor4D,
  op: ConvNextBlockOp,
  convs: Map<string, Conv>,
  params: Map<string, tf.Tensor>,
): tf.Tensor4D {
  const p = op.torchKey;
  const c = convs.get(`${p}.block.0`)!;
  let y = tf.add(frozenDepthwiseConv2d(h, c.depthwise!, 1, 3), c.b) as tf.Tensor4D;
  y = layerNorm(y, params, `${p}.block.2`);
  const [n, hh, w, d] = y.shape;
  const linear = (x: tf.Tensor, key: string) =>
    tf.add(tf.matMul(x as tf.Tensor2D, params.get(`${key}.weight`) as tf.Tensor2D), params.get(`${key}.bias`)!);
  const z = linear(gelu(linear(tf.reshape(y, [n * hh * w, d]), `${p}.block.3`)), `${p}.block.5`);
  // layer_scale is [dim, 1, 1] (NCHW broadcasting); as a flat [dim] it scales NHWC's last axis.
  const scaled = tf.mul(tf.reshape(z, [n, hh, w, d]), tf.reshape(params.get(`${p}.layer_scale`)!, [d]));
  return tf.add(h, scaled) as tf.Tensor4D;
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
    throw new StageUserError(
      'PIPE_BACKBONE_LAYER',
      `${arch} has no layer ${unknown.join(', ')}; its layers are ${names.join(', ')}.`,
    );
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
  const convs = toConvs(ops, tensors, opts.layout);
  const params = toParams(ops, tensors);
  const computable = all.slice(0, all.indexOf(layers.reduce((a, l) => (all.indexOf(l) > all.indexOf(a) ? l : a))) + 1);
  const source = { file: loaded.file, sha256: loaded.sha256, origin: loaded.source };
  return makeNet(opts.arch, ops, { convs, params }, computable, source);
}

/** Per-output-channel scale and shift of an eval-mode BatchNorm: y = x * scale + shift. */
function foldedBn(tensors: Map<string, NamedArray>, bn: string): { scale: Float32Array; shift: Float32Array } {
  const [g, beta, mean, variance] = BN_STATS.map((s) => tensors.get(`${bn}.${s}`)!.data);
  const scale = new Float32Array(g!.length);
  const shift = new Float32Array(g!.length);
  for (let c = 0; c < g!.length; c++) {
    // float64 arithmetic, one rounding at the end, as close to PyTorch's separate BN as float32 allows.
    const sc = g![c]! / Math.sqrt(variance![c]! + BN_EPS);
    scale[c] = sc;
    shift[c] = beta![c]! - mean![c]! * sc;
  }
  return { scale, shift };
}

function toConvs(ops: Op[], tensors: Map<string, NamedArray>, layout: WeightLayout): Map<string, Conv> {
  const convs = new Map<string, Conv>();
  for (const spec of ops.flatMap(convSpecs)) {
    const t = tensors.get(`${spec.key}.weight`)!;
    let data = t.data;
    let bias: Float32Array;
    if (spec.bn) {
      const { scale, shift } = foldedBn(tensors, spec.bn);
      // Torch layout OIHW: output channel is the slowest axis.
      const per = data.length / spec.cout;
      data = data.map((v, i) => v * scale[Math.floor(i / per)]!);
      bias = shift;
    } else bias = tensors.get(`${spec.key}.bias`)!.data;
    const w = tf.tidy(() => {
      const raw = tf.tensor4d(data, t.shape as [number, number, number, number]);
      // PyTorch OIHW -> HWIO (depthwise [C,1,k,k] -> [k,k,C,1]); Keras kernels are HWIO already.
      return layout === 'torch' ? tf.transpose(raw, [2, 3, 1, 0]) : raw;
    });
    const dw = spec.depthwise ? (tf.tidy(() => tf.transpose(w, [0, 1, 3, 2])) as tf.Tensor4D) : undefined;
    if (dw) w.dispose();
    convs.set(spec.key, { w: dw ?? w, b: tf.tensor1d(bias), depthwise: dw ? prepareDepthwiseFilter(dw) : undefined });
  }
  return convs;
}

type Act = 'relu' | 'relu6' | 'none';

function activate(x: tf.Tensor4D, act: Act): tf.Tensor4D {
  if (act === 'relu') return tf.relu(x);
  if (act === 'relu6') return tf.relu6(x);
  return x;
}

/** The forward pass of one op (taps excluded). */
function applyOp(op: Op, h: tf.Tensor4D, { convs, params }: NetTensors): tf.Tensor4D {
  const conv = (x: tf.Tensor4D, key: string, stride: number, pad: number, act: Act) => {
    const c = convs.get(key)!;
    const y = c.depthwise ? frozenDepthwiseConv2d(x, c.depthwise, stride, pad) : frozenConv2d(x, c.w, stride, pad);
    return act === 'relu' ? frozenBiasRelu(y, c.b) : activate(tf.add(y, c.b) as tf.Tensor4D, act);
  };
  switch (op.kind) {
    case 'conv':
      return conv(h, op.torchKey, op.stride, op.pad, 'relu');
    case 'convbn':
      return conv(h, op.conv, op.stride, op.pad, op.act);
    case 'pool':
      return maxPool(h, op.size, op.stride, op.pad ?? 'valid', op.ceil);
    case 'fire': {
      const s = conv(h, `${op.torchKey}.squeeze`, 1, 0, 'relu');
      return tf.concat(
        [conv(s, `${op.torchKey}.expand1x1`, 1, 0, 'relu'), conv(s, `${op.torchKey}.expand3x3`, 1, 1, 'relu')],
        3,
      );
    }
    case 'bottleneck': {
      const p = op.torchKey;
      const shortcut = op.downsample ? conv(h, `${p}.downsample.0`, op.stride, 0, 'none') : h;
      let y = conv(h, `${p}.conv1`, 1, 0, 'relu');
      y = conv(y, `${p}.conv2`, op.stride, 1, 'relu');
      y = conv(y, `${p}.conv3`, 1, 0, 'none');
      return tf.relu(tf.add(y, shortcut)) as tf.Tensor4D;
    }
    case 'invres': {
      const parts = invertedResidualParts(op);
      let y = parts.expand ? conv(h, parts.expand.key, 1, 0, 'relu6') : h;
      y = conv(y, parts.dw.key, op.stride, 1, 'relu6');
      y = conv(y, parts.project.key, 1, 0, 'none');
      return op.stride === 1 && op.cin === op.cout ? (tf.add(y, h) as tf.Tensor4D) : y;
    }
    case 'convln':
      return op.order === 'conv-ln'
        ? layerNorm(conv(h, op.conv, op.k, 0, 'none'), params, op.ln)
        : conv(layerNorm(h, params, op.ln), op.conv, op.k, 0, 'none');
    case 'cnblock':
      return convnextBlock(h, op, convs, params);
    case 'tap':
      return h;
  }
}

interface NetTensors {
  convs: Map<string, Conv>;
  params: Map<string, tf.Tensor>;
}

function makeNet(
  arch: ArchName,
  ops: Op[],
  tensors: NetTensors,
  layerNames: string[],
  source: FrozenNet['source'],
): FrozenNet {
  const { convs, params } = tensors;
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
          if (op.kind === 'tap') {
            if (wanted.has(op.name)) out[op.name] = h;
          } else h = applyOp(op, h, tensors);
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
        c.depthwise?.flipped.dispose();
      }
      for (const t of params.values()) t.dispose();
      // The ops cache gradient filters per frozen filter and sweep disposed ones only lazily; release them now so a
      // disposed backbone leaves no tensors behind (live backbones just rebuild theirs on next use).
      disposeFrozenFilters();
    },
  };
}

/** Every tensor the whole net reads from a torchvision-layout file: state-dict key -> shape (for tests and tools). */
export function torchStateDictShapes(arch: ArchName): Map<string, number[]> {
  return new Map(wantedTensors(ARCHITECTURES[arch], 'torch', undefined).map((w) => [w.fileKey, w.shape]));
}
