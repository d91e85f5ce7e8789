import { describe, expect, it } from 'vitest';
import { parseLosses } from './losses.js';

describe('parseLosses', () => {
  it('reads one term per numeric key, skipping step/epoch/lr and torn lines', () => {
    const text = [
      JSON.stringify({ step: 1, epoch: 1, lr: 0.0002, G_GAN: 0.9, G_L1: 30 }),
      JSON.stringify({ step: 2, epoch: 1, lr: 0.0002, G_GAN: 0.8, G_L1: 25, D_real: 0.6 }),
      '{"step": 3, "G_GAN": 0.7', // a run killed mid-write
      '',
    ].join('\n');
    const s = parseLosses(text);
    expect(s.steps).toEqual([1, 2]);
    expect(Object.keys(s.terms).sort()).toEqual(['D_real', 'G_GAN', 'G_L1']);
    expect(s.terms.G_L1).toEqual([30, 25]);
    expect(s.terms.D_real[0]).toBeNaN();
  });

  it('accepts terms nested under "losses"', () => {
    const s = parseLosses(`${JSON.stringify({ step: 5, losses: { cycle_A: 1.5 } })}\n`);
    expect(s).toEqual({ steps: [5], terms: { cycle_A: [1.5] } });
  });
});
