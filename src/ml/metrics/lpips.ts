// LPIPS v0.1 (Zhang et al. 2018), as published in richzhang/PerceptualSimilarity: inputs RGB in [-1,1] ->
// ScalingLayer -> pretrained features at fixed taps -> unit-normalise each tap over channels (eps 1e-10) ->
// squared difference -> 1x1 linear head (no bias) -> spatial mean -> sum over taps. Networks: squeeze (default;
// torchvision squeezenet1_1), vgg (vgg16), alex (alexnet), each with its v0.1 heads.
import * as tf from '@tensorflow/tfjs-core';
import { StageUserError } from '../../core/errors.js';
import { ARCHITECTURES, type ArchName } from '../backbones/architectures.js';
import { loadFrozenNet, type FrozenNet } from '../backbones/net.js';
import { toBackboneInput } from '../backbones/preprocess.js';
import type { DownloadProgress } from '../io/download.js';
import { formatOfPath, loadWeightSet, readWeightsFile, takeTensors } from '../weights/load.js';
import type { WeightSetId } from '../weights/registry.js';

export type LpipsNet = 'squeeze' | 'vgg' | 'alex';

const NETS: Record<LpipsNet, { arch: ArchName; taps: string[]; channels: number[] }> = {
  squeeze: {
    arch: 'squeezenet1_1',
    taps: ['conv1', 'fire3', 'fire5', 'fire6', 'fire7', 'fire8', 'fire9'],
    channels: [64, 128, 256, 384, 384, 512, 512],
  },
  vgg: {
    arch: 'vgg16',
    taps: ['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3', 'relu5_3'],
    channels: [64, 128, 256, 512, 512],
  },
  alex: { arch: 'alexnet', taps: ['relu1', 'relu2', 'relu3', 'relu4', 'relu5'], channels: [64, 192, 384, 256, 256] },
};

const EPS = 1e-10;

export interface LpipsOptions {
  /** Default 'squeeze'. */
  net?: LpipsNet;
  /** Mirror folder (--weights-dir); default env PIPE_WEIGHTS_DIR. */
  weightsDir?: string;
  /** Download cache; default `~/.cache/pipe/weights`. */
  downloadDir?: string;
  /** Use these files instead of the registry's (tests; custom mirrors). */
  backboneFile?: string;
  headsFile?: string;
  onProgress?: DownloadProgress;
}

export interface Lpips {
  net: LpipsNet;
  /** a, b: [N,H,W,3] RGB in [-1,1], same shape. One distance per batch item. */
  distance(a: tf.Tensor4D, b: tf.Tensor4D): Promise<number[]>;
  /** The same as a differentiable [N] tensor (e.g. as a loss term). */
  distanceTensor(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor1D;
  /**
   * The two halves of distanceTensor, for the training loss: unit-normalised tap features of x ([N,H,W,3] in [-1,1];
   * differentiable), and the distance between two such feature lists. phi(real) can so be computed once, off the tape.
   */
  features(x: tf.Tensor4D): tf.Tensor4D[];
  distanceFromFeatures(fa: tf.Tensor4D[], fb: tf.Tensor4D[]): tf.Tensor1D;
  /** Where the backbone and head weights came from. */
  sources: { backbone: string; heads: string };
  dispose(): void;
}

/** Smallest input side for which every tap of `net` is at least 1x1. */
export function minInputSize(net: LpipsNet): number {
  for (let s = 1; ; s++) if (tapSize(NETS[net].arch, s) >= 1) return s;
}

function tapSize(arch: ArchName, size: number): number {
  let h = size;
  for (const op of ARCHITECTURES[arch]) {
    if (op.kind === 'conv') h = Math.floor((h + 2 * op.pad - op.k) / op.stride) + 1;
    else if (op.kind === 'pool') {
      const span = h - op.size;
      // PyTorch's ceil mode accepts a window larger than a 2-pixel map; src/ml/ops' maxPool does not (yet).
      if (span < 0) return 0;
      let out = (op.ceil ? Math.ceil(span / op.stride) : Math.floor(span / op.stride)) + 1;
      // PyTorch drops a ceil-mode window that would start outside the input.
      if (op.ceil && (out - 1) * op.stride >= h) out -= 1;
      h = out;
    }
    if (h < 1) return 0;
  }
  return h;
}

// eslint-disable-next-line max-lines-per-function -- builds one closure over the loaded heads; to split next
export async function createLpips(opts: LpipsOptions = {}): Promise<Lpips> {
  const net = opts.net ?? 'squeeze';
  const spec = NETS[net];
  if (!spec) throw new StageUserError('PIPE_LPIPS_NET', `Unknown LPIPS network "${net}"; use squeeze, vgg or alex.`);
  const locate = { weightsDir: opts.weightsDir, downloadDir: opts.downloadDir, onProgress: opts.onProgress };

  const headsId = `lpips-v0.1-${net}` as WeightSetId;
  const heads = opts.headsFile
    ? { file: opts.headsFile, ...(await readWeightsFile(opts.headsFile, formatOfPath(opts.headsFile))) }
    : await loadWeightSet(headsId, locate);
  const headArrays = takeTensors(
    heads,
    spec.channels.map((c, i) => ({ key: String(i), fileKey: `lin${i}.model.1.weight`, shape: [1, c, 1, 1] })),
    `LPIPS ${net} heads`,
  );
  const backbone: FrozenNet = await loadFrozenNet({
    arch: spec.arch,
    layout: 'torch',
    weightSet: `${spec.arch}-torchvision` as WeightSetId,
    file: opts.backboneFile,
    layers: spec.taps,
    ...locate,
  });
  // [1,C,1,1] -> [C]: the 1x1 conv with one output channel is a weighted channel sum.
  const w = spec.channels.map((_, i) => tf.tensor1d(headArrays.get(String(i))!.data));
  const minSize = minInputSize(net);

  const checkInput = (x: tf.Tensor4D, what: string) => {
    if (x.rank !== 4 || x.shape[3] !== 3)
      throw new StageUserError(
        'PIPE_LPIPS_INPUT',
        `LPIPS needs [N,H,W,3] RGB batches; got ${what} [${x.shape.join(', ')}].`,
      );
    if (Math.min(x.shape[1], x.shape[2]) < minSize)
      throw new StageUserError(
        'PIPE_LPIPS_INPUT',
        `LPIPS (${net}) needs images of at least ${minSize}x${minSize} pixels; got ${x.shape[1]}x${x.shape[2]}.`,
      );
  };
  // ScalingLayer -> backbone taps -> unit-normalise over channels.
  const unitFeatures = (x: tf.Tensor4D): tf.Tensor4D[] =>
    tf.tidy(() => {
      const feats = backbone.run(toBackboneInput(x, 'lpips'), spec.taps);
      return spec.taps.map((tap) => {
        const f = feats[tap]!;
        return tf.div(f, tf.add(tf.sqrt(tf.sum(tf.square(f), 3, true)), EPS)) as tf.Tensor4D;
      });
    });
  // Squared difference -> 1x1 head -> spatial mean -> sum over taps.
  const distanceFromFeatures = (fa: tf.Tensor4D[], fb: tf.Tensor4D[]): tf.Tensor1D =>
    tf.tidy(() => {
      let total: tf.Tensor1D = tf.zeros([fa[0]!.shape[0]]);
      spec.taps.forEach((_, i) => {
        const weighted = tf.sum(tf.mul(tf.squaredDifference(fa[i]!, fb[i]!), w[i]!), 3); // [N,H,W]
        total = tf.add(total, tf.mean(weighted, [1, 2]));
      });
      return total;
    });

  const distanceTensor = (a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor1D => {
    if (a.shape.some((d, i) => d !== b.shape[i]))
      throw new StageUserError(
        'PIPE_LPIPS_INPUT',
        `LPIPS needs two [N,H,W,3] RGB batches of the same shape; got [${a.shape.join(', ')}] and [${b.shape.join(', ')}].`,
      );
    checkInput(a, 'a');
    return tf.tidy(() => {
      const n = a.shape[0];
      // One backbone pass over both batches.
      const halves = unitFeatures(tf.concat([a, b], 0)).map((u) => tf.split(u, [n, n], 0) as tf.Tensor4D[]);
      return distanceFromFeatures(
        halves.map((h) => h[0]!),
        halves.map((h) => h[1]!),
      );
    });
  };

  return {
    net,
    sources: { backbone: backbone.source.file, heads: heads.file },
    distanceTensor,
    features(x) {
      checkInput(x, 'x');
      return unitFeatures(x);
    },
    distanceFromFeatures,
    // Not `async`: invalid inputs still throw at the call. The read is asynchronous because webgpu in Node has no
    // synchronous one.
    distance(a, b) {
      const d = distanceTensor(a, b);
      return d.data().then(
        (v) => (d.dispose(), Array.from(v)),
        (err: unknown) => {
          d.dispose();
          throw err;
        },
      );
    },
    dispose() {
      backbone.dispose();
      tf.dispose(w);
    },
  };
}
