import { describe, expect, it } from 'vitest';
import { FINGERPRINT_SCHEME, fingerprintOf, type FingerprintDetails } from './fingerprint.js';
import { diffKeys, explainMiss } from './why.js';

const d = (over: Partial<FingerprintDetails> = {}): FingerprintDetails => ({
  scheme: FINGERPRINT_SCHEME,
  kind: 'train',
  kindVersion: 1,
  params: { train: { epochs: 3, seed: 1 }, loss: { l1: { weight: 100 } } },
  inputs: { dataset: 'a'.repeat(64) },
  sources: {},
  engine: '0.1.0',
  ...over,
});
const entry = (det: FingerprintDetails) => ({ fingerprint: fingerprintOf(det).value, details: det });

describe('explainMiss', () => {
  it('says never run, evicted, params (with keys), upstream, sources and versions', () => {
    expect(explainMiss(undefined, fingerprintOf(d())).reason).toBe('never-run');
    expect(explainMiss(entry(d()), fingerprintOf(d())).reason).toBe('evicted');
    const params = explainMiss(
      entry(d()),
      fingerprintOf(d({ params: { train: { epochs: 4, seed: 1 }, loss: { l1: { weight: 100 } } } })),
    );
    expect(params).toMatchObject({ reason: 'params-changed', keys: ['train.epochs'] });
    expect(params.text).toBe('params changed: train.epochs');
    expect(explainMiss(entry(d()), fingerprintOf(d({ inputs: { dataset: 'b'.repeat(64) } })))).toMatchObject({
      reason: 'input-changed',
      keys: ['dataset'],
    });
    expect(explainMiss(entry(d()), fingerprintOf(d({ sources: { '1.jpg': 'x' } })))).toMatchObject({
      reason: 'sources-changed',
      keys: ['1.jpg'],
    });
    expect(explainMiss(entry(d()), fingerprintOf(d({ kindVersion: 2 }))).reason).toBe('version-changed');
  });

  it('diffs nested keys, treating arrays as values', () => {
    expect(diffKeys({ a: { b: 1, c: [1] }, x: 1 }, { a: { b: 1, c: [2] }, y: 1 })).toEqual(['a.c', 'x', 'y']);
  });
});
