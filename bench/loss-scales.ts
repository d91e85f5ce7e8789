// Measures what `loss.perceptual.normalize: auto` rests on, and the table of typical per-term magnitudes that
// `pipe validate` uses to warn about a lopsided loss mix. Real weights (--weights-dir), real facades images.
//   node --import tsx bench/loss-scales.ts [--weights-dir ../shared/weights] [--data-dir ../shared/datasets] [--write]
// Prints a JSON report; --write regenerates src/compiler/loss-magnitudes.generated.ts.
//
// 1. Homogeneity: Caffe-convention input is 255*std times the torchvision input. If the network were exactly
//    positively homogeneous, phi(c*u) = c*phi(u) and the normalised loss s^2 * L(phi(x), phi(y)) with s = 1/c would
//    equal L(phi(x/c), phi(y/c)) exactly. Biases break that; the ratio of the two says by how much.
// 2. Magnitudes: each term's unweighted value under each normalize mode at step 1 of the quickstart (pix2pix U-Net ngf 16 at 64x64 at its
//    initialisation against the real target), averaged over images.
import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/ml/backend.js';
import { FEATURE_SCALE, loadBackbone, loadFrozenNet, toBackboneInput } from '../src/ml/backbones/index.js';
import { ganLoss } from '../src/ml/losses/gan.js';
import { l1Loss } from '../src/ml/losses/l1.js';
import { perceptualLoss } from '../src/ml/losses/perceptual.js';
import { styleLoss } from '../src/ml/losses/style.js';
import { createLpips } from '../src/ml/metrics/lpips.js';
import { discriminatorFor, generatorFor, initParams } from '../src/ml/models/index.js';
import { alignedSplit } from '../src/ml/train/test-split.js';
import { trainParams } from '../src/ml/train/test-params.js';

const argv = process.argv.slice(2);
const opt = (name: string, def: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1]! : def);
const weightsDir = path.resolve(opt('weights-dir', '../shared/weights'));
const dataDir = path.resolve(opt('data-dir', '../shared/datasets'));
const IMAGES = 16;
const SIZE = 64;

const VGG_LAYERS = ['relu1_1', 'relu1_2', 'relu2_1', 'relu2_2', 'relu3_1', 'relu3_2', 'relu3_3', 'relu3_4'];
const SQUEEZE_LAYERS = ['conv1', 'fire3', 'fire5', 'fire6', 'fire7', 'fire8', 'fire9'];

const toTensor = (data: Uint8Array | Float32Array) =>
  tf.tidy(() => tf.sub(tf.div(tf.tensor4d(Float32Array.from(data), [1, SIZE, SIZE, 3]), 127.5), 1) as tf.Tensor4D);
const read = (t: tf.Scalar) => {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const round = (v: number) => Number(v.toPrecision(3));

async function main(): Promise<void> {
  await initBackend('wasm');
  const split = await alignedSplit(path.join(dataDir, 'facades/val'), IMAGES, SIZE);
  const params = trainParams({ model: { ngf: 16, ndf: 16 } });
  const G = generatorFor(params.model, SIZE);
  const gp = initParams(G.specs, 1, 0.02, 'G');
  const D = discriminatorFor(params.model, 6);
  const dp = initParams(D.specs, 1, 0.02, 'D');
  const pairs = Array.from({ length: IMAGES }, (_, i) => {
    const A = toTensor(split.A.get(i));
    const B = toTensor(split.B.get(i));
    // Dropout on, as in training.
    return { A, B, fake: tf.tidy(() => G.apply(gp, A, { dropoutSeed: () => i + 1 })) };
  });

  const base: Record<string, number[]> = { l1: [], gan_vanilla: [], gan_lsgan: [] };
  for (const { A, B, fake } of pairs) {
    base.l1!.push(read(l1Loss(fake, B)));
    const logits = tf.tidy(() => D.apply(dp, tf.concat([A, fake], 3), {}));
    base.gan_vanilla!.push(read(ganLoss('vanilla', logits, true)));
    base.gan_lsgan!.push(read(ganLoss('lsgan', logits, true)));
    logits.dispose();
  }

  const vggRaw = await loadFrozenNet({
    arch: 'vgg19',
    layout: 'keras',
    weightSet: 'vgg19-keras',
    layers: VGG_LAYERS,
    weightsDir,
  });
  const c = 1 / FEATURE_SCALE.caffe;
  const homogeneity: Record<string, { loss_ratio: number; feature_rel_err: number }> = {};
  for (const layer of VGG_LAYERS) {
    const ratios: number[] = [];
    const errs: number[] = [];
    for (const { B, fake } of pairs) {
      tf.tidy(() => {
        const xf = toBackboneInput(fake, 'caffe');
        const xr = toBackboneInput(B, 'caffe');
        const ff = vggRaw.run(xf, [layer])[layer]!;
        const fr = vggRaw.run(xr, [layer])[layer]!;
        const gf = vggRaw.run(tf.div(xf, c), [layer])[layer]!;
        const gr = vggRaw.run(tf.div(xr, c), [layer])[layer]!;
        const scaled = read(tf.div(tf.mean(tf.squaredDifference(ff, fr)), c * c) as tf.Scalar);
        ratios.push(scaled / read(tf.mean(tf.squaredDifference(gf, gr))));
        errs.push(read(tf.div(tf.norm(tf.sub(tf.div(fr, c), gr)), tf.norm(gr)) as tf.Scalar));
      });
    }
    homogeneity[layer] = { loss_ratio: round(mean(ratios)), feature_rel_err: round(mean(errs)) };
  }
  vggRaw.dispose();

  const perceptual: Record<string, Record<string, number>> = {};
  const style: Record<string, Record<string, number>> = {};
  const sets = [
    { key: 'vgg19/keras', name: 'vgg19', weights: 'keras', layers: VGG_LAYERS },
    { key: 'squeezenet1_1/torchvision', name: 'squeezenet1_1', weights: 'torchvision', layers: SQUEEZE_LAYERS },
  ] as const;
  for (const set of sets) {
    const bb = await loadBackbone({ name: set.name, weights: set.weights, weightsDir, layers: set.layers });
    const p: Record<string, number[]> = {};
    const st: Record<string, number[]> = {};
    const ms: Record<string, number[]> = {};
    for (const { B, fake } of pairs) {
      const ff = bb.features(fake);
      const fr = bb.features(B);
      for (const l of set.layers) {
        (p[l] ??= []).push(read(perceptualLoss(ff, fr, { [l]: 1 })));
        (st[l] ??= []).push(read(styleLoss(ff, fr, { [l]: 1 })));
        (ms[l] ??= []).push(read(tf.mean(tf.square(fr[l]!))));
      }
      tf.dispose([...Object.values(ff), ...Object.values(fr)]);
    }
    // normalize auto: features / RMS over the real images (the trainer measures it on the first training targets).
    const table = (m: Record<string, number[]>, scale: (l: string) => number, power: number) =>
      Object.fromEntries(Object.entries(m).map(([l, v]) => [l, round(mean(v) * scale(l) ** power)]));
    const auto = (l: string) => 1 / Math.sqrt(mean(ms[l]!));
    perceptual[`${set.key}/auto`] = table(p, auto, 2);
    style[`${set.key}/auto`] = table(st, auto, 4);
    perceptual[`${set.key}/input`] = table(p, () => bb.featureScale, 2);
    style[`${set.key}/input`] = table(st, () => bb.featureScale, 4);
    perceptual[`${set.key}/none`] = table(p, () => 1, 2);
    style[`${set.key}/none`] = table(st, () => 1, 4);
    bb.dispose();
  }

  const lp = await createLpips({ net: 'squeeze', weightsDir });
  const lpips = {
    squeeze: round(mean(await Promise.all(pairs.map(async ({ B, fake }) => (await lp.distance(fake, B))[0]!)))),
  };
  lp.dispose();

  const magnitudes = {
    l1: round(mean(base.l1!)),
    gan: { vanilla: round(mean(base.gan_vanilla!)), lsgan: round(mean(base.gan_lsgan!)) },
    perceptual,
    style,
    lpips,
  };
  const report = {
    images: `facades/val first ${IMAGES} at ${SIZE}x${SIZE}`,
    feature_scale_caffe: FEATURE_SCALE.caffe,
    homogeneity,
    magnitudes,
  };
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  if (argv.includes('--write')) await writeTable(report);
  tf.dispose(pairs.flatMap((p) => [p.A, p.B, p.fake]));
}

async function writeTable(report: unknown): Promise<void> {
  const file = path.resolve(
    path.dirname(new URL(import.meta.url).pathname),
    '../src/compiler/loss-magnitudes.generated.ts',
  );
  const text = [
    '// GENERATED by bench/loss-scales.ts --write (real weights, real images); do not edit by hand.',
    '// Unweighted value of each loss term at step 1 of the quickstart (pix2pix U-Net ngf 16, 64x64, initialised',
    "// generator against the real target), the basis of `pipe validate`'s loss-balance warning. Keys of perceptual and",
    '// style: <backbone>/<weights>/<normalize>, then layer.',
    `export const LOSS_SCALES_MEASUREMENT = ${JSON.stringify(report, null, 2)} as const;`,
    '',
  ].join('\n');
  await fs.writeFile(file, text);
}

await main();
