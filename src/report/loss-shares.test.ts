import { describe, expect, it } from 'vitest';
import { parseLosses } from './losses.js';
import { formatShares, isGeneratorTerm, lossShares } from './loss-shares.js';

const line = (o: Record<string, number>) => JSON.stringify(o);

describe('generator loss shares', () => {
  it('splits the weighted generator terms of the first and last epoch, leaving out D, unweighted and zero terms', () => {
    const s = parseLosses(
      [
        line({ step: 1, epoch: 1, lr: 2e-4, G_GAN: 1, G_L1: 30, L1: 0.3, G_perceptual: 9, G_style: 0, D_real: 0.7 }),
        line({ step: 2, epoch: 1, lr: 2e-4, G_GAN: 3, G_L1: 50, L1: 0.5, G_perceptual: 7, G_style: 0, D_real: 0.6 }),
        line({ step: 3, epoch: 2, lr: 2e-4, G_GAN: 2, G_L1: 20, L1: 0.2, G_perceptual: 18, G_style: 0, D_real: 0.5 }),
        line({ step: 4, epoch: 3, lr: 1e-4, G_GAN: 4, G_L1: 12, L1: 0.1, G_perceptual: 4, G_style: 0, D_real: 0.5 }),
      ].join('\n'),
    );
    const [first, last] = lossShares(s);
    expect(first!.epoch).toBe(1);
    expect(Object.keys(first!.shares)).toEqual(['G_GAN', 'G_L1', 'G_perceptual']);
    expect(first!.shares.G_GAN).toBeCloseTo(2 / 50, 10);
    expect(first!.shares.G_L1).toBeCloseTo(40 / 50, 10);
    expect(last).toEqual({ epoch: 3, shares: { G_GAN: 0.2, G_L1: 0.6, G_perceptual: 0.2 } });
    expect(formatShares(last!)).toBe('G_GAN 20.0 % · G_L1 60.0 % · G_perceptual 20.0 %');
  });

  it('knows the CycleGAN terms', () => {
    for (const k of ['G_A', 'G_B', 'cycle_A', 'idt_B', 'perceptual_A', 'lpips_B', 'G_LPIPS'])
      expect(isGeneratorTerm(k), k).toBe(true);
    for (const k of ['D_A_real', 'D_fake', 'L1', 'lr']) expect(isGeneratorTerm(k), k).toBe(false);
  });

  it('reads a real quickstart losses.jsonl shape (no epoch field: no shares)', () => {
    expect(lossShares(parseLosses(line({ step: 1, G_GAN: 1 })))).toEqual([]);
  });
});
