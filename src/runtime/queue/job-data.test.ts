import { describe, expect, it } from 'vitest';
import { isSafeFingerprint, parseStageJob } from './job-data.js';

const good = {
  stageId: 'train/a',
  kind: 'train',
  fingerprint: 'a'.repeat(64),
  params: { train: { epochs: 1 } },
  inputs: { dataset: 'b'.repeat(64) },
  env: { projectDir: '/p', backend: 'auto', downloadDir: '/d' },
};

describe('parseStageJob', () => {
  it('accepts a stage job', () => {
    expect(parseStageJob(good)).toEqual(good);
  });

  it('rejects fingerprints that could escape the cache directory or clash with BullMQ ids', () => {
    for (const fingerprint of ['../../etc', 'abc/def0123', 'a:b:c:d:e:f', 'short', '']) {
      expect(isSafeFingerprint(fingerprint), fingerprint).toBe(false);
      expect(() => parseStageJob({ ...good, fingerprint })).toThrow(/fingerprint/);
    }
    expect(() => parseStageJob({ ...good, inputs: { dataset: '../x/../../y' } })).toThrow(/input "dataset"/);
  });

  it('rejects payloads that are not stage jobs', () => {
    expect(() => parseStageJob('rm -rf /')).toThrow(/not an object/);
    expect(() => parseStageJob({ ...good, kind: 'train; rm -rf /' })).toThrow(/kind/);
    expect(() => parseStageJob({ ...good, params: [] })).toThrow(/params/);
    expect(() => parseStageJob({ ...good, env: {} })).toThrow(/projectDir/);
    expect(() => parseStageJob({ ...good, env: { ...good.env, webgpu: 'f16' } })).toThrow(/env.webgpu/);
    expect(parseStageJob({ ...good, env: { ...good.env, webgpu: { f16: true } } }).env.webgpu).toEqual({ f16: true });
  });
});
