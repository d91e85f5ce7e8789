// The FID Inception-v3: the network pytorch-fid ports from TensorFlow's 2015-12-05 graph, giving the 2048-d pool
// features every FID and KID in the literature is computed on. It differs from torchvision's inception_v3 in four
// blocks (the "FID" variants): the average pools of Mixed_5b-5d, 6b-6e, 7b and 7c leave the zero padding out of the
// mean (count_include_pad=False), and Mixed_7c's pool branch takes a max instead of an average.
// Input as pytorch-fid takes it: RGB in [0,1], resized bilinearly to 299x299 (align_corners=False = TF's half-pixel
// centres), then mapped to [-1,1]. Forward only (metrics need no gradient): stock tf convs with folded BatchNorm.
import * as tf from '@tensorflow/tfjs-core';
import type { DownloadProgress } from '../io/download.js';
import { formatOfPath, loadWeightSet, readWeightsFile, takeTensors } from '../weights/load.js';
import type { NamedArray } from '../weights/types.js';

export const INCEPTION_SIZE = 299;
export const FID_FEATURES = 2048;
const BN_EPS = 1e-3; // the FID network's BatchNorm2d(eps=0.001)

interface ConvSpec {
  name: string;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
}

const c = (name: string, cin: number, cout: number, kh: number, kw = kh): ConvSpec => ({ name, cin, cout, kh, kw });

function blockA(m: string, cin: number, pool: number): ConvSpec[] {
  return [
    c(`${m}.branch1x1`, cin, 64, 1),
    c(`${m}.branch5x5_1`, cin, 48, 1),
    c(`${m}.branch5x5_2`, 48, 64, 5),
    c(`${m}.branch3x3dbl_1`, cin, 64, 1),
    c(`${m}.branch3x3dbl_2`, 64, 96, 3),
    c(`${m}.branch3x3dbl_3`, 96, 96, 3),
    c(`${m}.branch_pool`, cin, pool, 1),
  ];
}
function blockC(m: string, c7: number): ConvSpec[] {
  return [
    c(`${m}.branch1x1`, 768, 192, 1),
    c(`${m}.branch7x7_1`, 768, c7, 1),
    c(`${m}.branch7x7_2`, c7, c7, 1, 7),
    c(`${m}.branch7x7_3`, c7, 192, 7, 1),
    c(`${m}.branch7x7dbl_1`, 768, c7, 1),
    c(`${m}.branch7x7dbl_2`, c7, c7, 7, 1),
    c(`${m}.branch7x7dbl_3`, c7, c7, 1, 7),
    c(`${m}.branch7x7dbl_4`, c7, c7, 7, 1),
    c(`${m}.branch7x7dbl_5`, c7, 192, 1, 7),
    c(`${m}.branch_pool`, 768, 192, 1),
  ];
}
function blockE(m: string, cin: number): ConvSpec[] {
  return [
    c(`${m}.branch1x1`, cin, 320, 1),
    c(`${m}.branch3x3_1`, cin, 384, 1),
    c(`${m}.branch3x3_2a`, 384, 384, 1, 3),
    c(`${m}.branch3x3_2b`, 384, 384, 3, 1),
    c(`${m}.branch3x3dbl_1`, cin, 448, 1),
    c(`${m}.branch3x3dbl_2`, 448, 384, 3),
    c(`${m}.branch3x3dbl_3a`, 384, 384, 1, 3),
    c(`${m}.branch3x3dbl_3b`, 384, 384, 3, 1),
    c(`${m}.branch_pool`, cin, 192, 1),
  ];
}

/** Every conv of the network up to the pool features (the 1008-way fc is not read). */
export const INCEPTION_CONVS: ConvSpec[] = [
  c('Conv2d_1a_3x3', 3, 32, 3),
  c('Conv2d_2a_3x3', 32, 32, 3),
  c('Conv2d_2b_3x3', 32, 64, 3),
  c('Conv2d_3b_1x1', 64, 80, 1),
  c('Conv2d_4a_3x3', 80, 192, 3),
  ...blockA('Mixed_5b', 192, 32),
  ...blockA('Mixed_5c', 256, 64),
  ...blockA('Mixed_5d', 288, 64),
  c('Mixed_6a.branch3x3', 288, 384, 3),
  c('Mixed_6a.branch3x3dbl_1', 288, 64, 1),
  c('Mixed_6a.branch3x3dbl_2', 64, 96, 3),
  c('Mixed_6a.branch3x3dbl_3', 96, 96, 3),
  ...blockC('Mixed_6b', 128),
  ...blockC('Mixed_6c', 160),
  ...blockC('Mixed_6d', 160),
  ...blockC('Mixed_6e', 192),
  c('Mixed_7a.branch3x3_1', 768, 192, 1),
  c('Mixed_7a.branch3x3_2', 192, 320, 3),
  c('Mixed_7a.branch7x7x3_1', 768, 192, 1),
  c('Mixed_7a.branch7x7x3_2', 192, 192, 1, 7),
  c('Mixed_7a.branch7x7x3_3', 192, 192, 7, 1),
  c('Mixed_7a.branch7x7x3_4', 192, 192, 3),
  ...blockE('Mixed_7b', 1280),
  ...blockE('Mixed_7c', 2048),
];

/** State-dict key -> shape of every tensor read (BasicConv2d: bias-free conv + BatchNorm). */
export function inceptionStateDictShapes(): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const s of INCEPTION_CONVS) {
    out.set(`${s.name}.conv.weight`, [s.cout, s.cin, s.kh, s.kw]);
    for (const stat of ['weight', 'bias', 'running_mean', 'running_var']) out.set(`${s.name}.bn.${stat}`, [s.cout]);
  }
  return out;
}

interface Conv {
  w: tf.Tensor4D;
  b: tf.Tensor1D;
}

function foldConv(spec: ConvSpec, t: Map<string, NamedArray>): Conv {
  const w = t.get(`${spec.name}.conv.weight`)!;
  const [g, beta, mean, v] = ['weight', 'bias', 'running_mean', 'running_var'].map(
    (s) => t.get(`${spec.name}.bn.${s}`)!.data,
  );
  const scale = g!.map((gi, i) => gi / Math.sqrt(v![i]! + BN_EPS));
  const per = w.data.length / spec.cout;
  const folded = w.data.map((x, i) => x * scale[Math.floor(i / per)]!);
  return {
    w: tf.tidy(() => tf.transpose(tf.tensor4d(folded, w.shape as [number, number, number, number]), [2, 3, 1, 0])),
    b: tf.tensor1d(beta!.map((bi, i) => bi - mean![i]! * scale[i]!)),
  };
}

export interface FidInception {
  /** x: NHWC RGB in [0,1], any size. Returns [N, 2048] pool features. */
  features(x: tf.Tensor4D): tf.Tensor2D;
  source: { file: string; sha256?: string; origin: string };
  dispose(): void;
}

export interface LoadInceptionOptions {
  weightsDir?: string;
  downloadDir?: string;
  /** An explicit weights file instead of the registry's pytorch-fid file. */
  file?: string;
  onProgress?: DownloadProgress;
  /** Never download (default: env PIPE_OFFLINE=1). */
  offline?: boolean;
}

export async function loadFidInception(opts: LoadInceptionOptions = {}): Promise<FidInception> {
  const shapes = inceptionStateDictShapes();
  const only = (name: string) => shapes.has(name);
  const loaded = opts.file
    ? {
        file: opts.file,
        source: 'file',
        sha256: undefined as string | undefined,
        ...(await readWeightsFile(opts.file, formatOfPath(opts.file), { only })),
      }
    : await loadWeightSet('inception-fid', { ...opts, only });
  const wanted = [...shapes].map(([key, shape]) => ({ key, fileKey: key, shape }));
  const tensors = takeTensors(loaded, wanted, 'FID Inception-v3 (pytorch-fid weights)');
  const convs = new Map(INCEPTION_CONVS.map((s) => [s.name, foldConv(s, tensors)]));
  const countCache = new Map<string, tf.Tensor4D>();
  let disposed = false;
  return {
    source: { file: loaded.file, sha256: loaded.sha256, origin: loaded.source },
    features(x) {
      if (disposed) throw new Error('FID Inception used after dispose()');
      return tf.tidy(() => forward(x, convs, countCache));
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const cv of convs.values()) tf.dispose([cv.w, cv.b]);
      for (const t of countCache.values()) t.dispose();
    },
  };
}

type Convs = Map<string, Conv>;

function conv(x: tf.Tensor4D, convs: Convs, name: string, stride = 1, pad: 'same' | 'valid' = 'same'): tf.Tensor4D {
  const cv = convs.get(name)!;
  return tf.fused.conv2d({ x, filter: cv.w, strides: stride, pad, bias: cv.b, activation: 'relu' });
}

/** 3x3 stride-1 average pool over zero padding of 1, dividing by the in-image count (count_include_pad=False). */
function avgPoolExcludePad(x: tf.Tensor4D, counts: Map<string, tf.Tensor4D>): tf.Tensor4D {
  const [, h, w] = x.shape;
  const key = `${h}x${w}`;
  const padded = (t: tf.Tensor4D) =>
    tf.pad(t, [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]);
  let n = counts.get(key);
  if (!n) {
    const ones = tf.ones([1, h!, w!, 1]) as tf.Tensor4D;
    n = tf.keep(tf.tidy(() => tf.mul(tf.avgPool(padded(ones), 3, 1, 'valid'), 9) as tf.Tensor4D));
    counts.set(key, n);
  }
  const sum = tf.mul(tf.avgPool(padded(x), 3, 1, 'valid'), 9);
  return tf.div(sum, n) as tf.Tensor4D;
}

function mixedA(x: tf.Tensor4D, cv: Convs, m: string, counts: Map<string, tf.Tensor4D>): tf.Tensor4D {
  const b1 = conv(x, cv, `${m}.branch1x1`);
  const b5 = conv(conv(x, cv, `${m}.branch5x5_1`), cv, `${m}.branch5x5_2`);
  const b3 = conv(conv(conv(x, cv, `${m}.branch3x3dbl_1`), cv, `${m}.branch3x3dbl_2`), cv, `${m}.branch3x3dbl_3`);
  const bp = conv(avgPoolExcludePad(x, counts), cv, `${m}.branch_pool`);
  return tf.concat([b1, b5, b3, bp], 3);
}

function mixed6a(x: tf.Tensor4D, cv: Convs): tf.Tensor4D {
  const b3 = conv(x, cv, 'Mixed_6a.branch3x3', 2, 'valid');
  const d = conv(
    conv(conv(x, cv, 'Mixed_6a.branch3x3dbl_1'), cv, 'Mixed_6a.branch3x3dbl_2'),
    cv,
    'Mixed_6a.branch3x3dbl_3',
    2,
    'valid',
  );
  return tf.concat([b3, d, tf.maxPool(x, 3, 2, 'valid')], 3);
}

function mixedC(x: tf.Tensor4D, cv: Convs, m: string, counts: Map<string, tf.Tensor4D>): tf.Tensor4D {
  const chain = (names: string[]) => names.reduce((h, n) => conv(h, cv, `${m}.${n}`), x);
  const b1 = chain(['branch1x1']);
  const b7 = chain(['branch7x7_1', 'branch7x7_2', 'branch7x7_3']);
  const bd = chain(['branch7x7dbl_1', 'branch7x7dbl_2', 'branch7x7dbl_3', 'branch7x7dbl_4', 'branch7x7dbl_5']);
  const bp = conv(avgPoolExcludePad(x, counts), cv, `${m}.branch_pool`);
  return tf.concat([b1, b7, bd, bp], 3);
}

function mixed7a(x: tf.Tensor4D, cv: Convs): tf.Tensor4D {
  const b3 = conv(conv(x, cv, 'Mixed_7a.branch3x3_1'), cv, 'Mixed_7a.branch3x3_2', 2, 'valid');
  let b7 = ['branch7x7x3_1', 'branch7x7x3_2', 'branch7x7x3_3'].reduce((h, n) => conv(h, cv, `Mixed_7a.${n}`), x);
  b7 = conv(b7, cv, 'Mixed_7a.branch7x7x3_4', 2, 'valid');
  return tf.concat([b3, b7, tf.maxPool(x, 3, 2, 'valid')], 3);
}

/** FIDInceptionE_1 (Mixed_7b: average pool without padding counts) and _2 (Mixed_7c: max pool). */
function mixedE(
  x: tf.Tensor4D,
  cv: Convs,
  m: string,
  pool: 'avg' | 'max',
  counts: Map<string, tf.Tensor4D>,
): tf.Tensor4D {
  const b1 = conv(x, cv, `${m}.branch1x1`);
  const s = conv(x, cv, `${m}.branch3x3_1`);
  const b3 = tf.concat([conv(s, cv, `${m}.branch3x3_2a`), conv(s, cv, `${m}.branch3x3_2b`)], 3);
  const d = conv(conv(x, cv, `${m}.branch3x3dbl_1`), cv, `${m}.branch3x3dbl_2`);
  const bd = tf.concat([conv(d, cv, `${m}.branch3x3dbl_3a`), conv(d, cv, `${m}.branch3x3dbl_3b`)], 3);
  // Max over 'same' padding ignores the padded cells, as PyTorch's -inf padding does.
  const pooled = pool === 'avg' ? avgPoolExcludePad(x, counts) : tf.maxPool(x, 3, 1, 'same');
  return tf.concat([b1, b3, bd, conv(pooled, cv, `${m}.branch_pool`)], 3);
}

/**
 * The [out, in] matrix of PyTorch's 1-D bilinear interpolation with align_corners=False: source coordinate
 * (dst + 0.5) * in/out - 0.5, clamped at 0, linear between its two neighbours (no antialiasing).
 */
export function bilinearMatrix(inSize: number, outSize: number): Float32Array {
  const m = new Float32Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(0, scale * (o + 0.5) - 0.5);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const l1 = src - i0;
    m[o * inSize + i0]! += 1 - l1;
    m[o * inSize + i1]! += l1;
  }
  return m;
}

/**
 * pytorch-fid's F.interpolate(size=299, mode='bilinear', align_corners=False) as two products with interpolation
 * matrices: exact PyTorch semantics on every backend (wasm's ResizeBilinear kernel differed from PyTorch by ~3e-4).
 */
function resizeTo299(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, ch] = x.shape;
  const S = INCEPTION_SIZE;
  const rw = tf.tensor2d(bilinearMatrix(w, S), [S, w]);
  const rh = tf.tensor2d(bilinearMatrix(h, S), [S, h]);
  const rows = tf.reshape(tf.transpose(x, [0, 1, 3, 2]), [n * h * ch, w]); // [N*H*C, W]
  const alongW = tf.reshape(tf.matMul(rows, rw, false, true), [n, h, ch, S]); // resized along W
  const cols = tf.reshape(tf.transpose(alongW, [1, 0, 3, 2]), [h, n * S * ch]); // [H, N*S*C]
  const alongH = tf.matMul(rh, cols); // [S, N*S*C]
  return tf.transpose(tf.reshape(alongH, [S, n, S, ch]), [1, 0, 2, 3]) as tf.Tensor4D;
}

function forward(x: tf.Tensor4D, cv: Convs, counts: Map<string, tf.Tensor4D>): tf.Tensor2D {
  const [n, h, w] = x.shape;
  // Resize (identity at 299x299), then [0,1] -> [-1,1].
  let y = h === INCEPTION_SIZE && w === INCEPTION_SIZE ? x : resizeTo299(x);
  y = tf.sub(tf.mul(y, 2), 1);
  y = conv(y, cv, 'Conv2d_1a_3x3', 2, 'valid');
  y = conv(y, cv, 'Conv2d_2a_3x3', 1, 'valid');
  y = tf.maxPool(conv(y, cv, 'Conv2d_2b_3x3'), 3, 2, 'valid');
  y = conv(y, cv, 'Conv2d_3b_1x1', 1, 'valid');
  y = tf.maxPool(conv(y, cv, 'Conv2d_4a_3x3', 1, 'valid'), 3, 2, 'valid');
  y = mixedA(mixedA(mixedA(y, cv, 'Mixed_5b', counts), cv, 'Mixed_5c', counts), cv, 'Mixed_5d', counts);
  y = mixed6a(y, cv);
  for (const m of ['Mixed_6b', 'Mixed_6c', 'Mixed_6d', 'Mixed_6e']) y = mixedC(y, cv, m, counts);
  y = mixedE(mixedE(mixed7a(y, cv), cv, 'Mixed_7b', 'avg', counts), cv, 'Mixed_7c', 'max', counts);
  return tf.reshape(tf.mean(y, [1, 2]), [n, FID_FEATURES]);
}
