import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_DIR } from '../../test/shared-paths.js';
import { compilePipelineText } from './compile.js';
import { expectedTerms, lossBalanceWarning } from './loss-balance.js';

const quickstart = fs.readFileSync(path.join(REPO_DIR, 'pipelines/quickstart.yaml'), 'utf8');
const perceptual = (sets: string[] = []) =>
  compilePipelineText(quickstart, 'quickstart.yaml', sets).configs.find((c) => c.variant === 'perceptual')!.config;

describe('loss-balance warning (pipe validate)', () => {
  it('is quiet for the quickstart with the article weights under normalize: auto', () => {
    const t = expectedTerms(perceptual());
    expect(Object.keys(t).sort()).toEqual(['gan', 'l1', 'perceptual']);
    expect(t.perceptual! / t.l1!).toBeGreaterThan(0.1);
    expect(t.perceptual! / t.l1!).toBeLessThan(10);
    expect(lossBalanceWarning(perceptual())).toBeUndefined();
  });

  it('names the raw Keras perceptual term as drowning the others (normalize: none), and a negligible style term', () => {
    expect(lossBalanceWarning(perceptual(['loss.perceptual.normalize=none']))).toMatch(
      /loss\.perceptual is expected at over 100x/,
    );
    expect(lossBalanceWarning(perceptual(['loss.style.weight=1']))).toMatch(/loss\.style at under 1\/100/);
  });

  it('estimates CycleGAN terms and leaves unmeasured weight sets out', () => {
    const c = perceptual([
      'model.kind=cyclegan',
      'dataset.layout=unaligned',
      'model.generator=resnet_6blocks',
      'loss.lpips.weight=1',
    ]);
    expect(Object.keys(expectedTerms(c)).sort()).toEqual(['cycle', 'gan', 'identity', 'lpips', 'perceptual']);
    const raw = perceptual([
      'loss.perceptual.backbone=vgg16',
      'loss.perceptual.weights=torchvision',
      'loss.perceptual.normalize=none',
    ]);
    expect(expectedTerms(raw).perceptual).toBeUndefined();
  });
});
