import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePipelineText } from '../compiler/index.js';
import type { StageKind } from '../stages/types.js';
import { canonicalJson } from '../core/canonical-json.js';
import { FileDigests } from './file-digests.js';
import { FINGERPRINT_SCHEME, fingerprintDag, fingerprintOf, type FingerprintDetails } from './fingerprint.js';

const env = { projectDir: '/p', backend: 'auto' as const, downloadDir: '/d' };

function details(over: Partial<FingerprintDetails> = {}): FingerprintDetails {
  return {
    scheme: FINGERPRINT_SCHEME,
    kind: 'train',
    kindVersion: 1,
    params: { a: 1, b: { c: [1, 2], d: 'x' } },
    inputs: { dataset: 'f'.repeat(64) },
    sources: {},
    engine: '0.1.0',
    ...over,
  };
}

const yaml = (train: string) => `name: fp
dataset: { source: facades }
train: ${train}
variants: { a: {}, b: { train.seed: 2 } }
`;

/** Fingerprints with stand-in kinds: version 1, and the dataset lists the files of `dataDir`. */
async function fingerprintsOf(text: string, dataFiles: string[] = []) {
  const { dag } = compilePipelineText(text, 'fp.yaml', []);
  const loadKind = async (kind: string): Promise<StageKind<any>> => ({
    kind,
    version: 1,
    run: async () => undefined,
    ...(kind === 'dataset' ? { sourceFiles: async () => dataFiles } : {}),
  });
  const fps = await fingerprintDag(dag, { env, digests: new FileDigests(), loadKind, engine: '0.1.0' });
  return Object.fromEntries(Object.entries(fps).map(([id, f]) => [id, f.value]));
}

describe('fingerprints', () => {
  it('do not depend on key order', () => {
    const a = details({ params: { a: 1, b: { c: [1, 2], d: 'x' } } });
    const b = details({ params: { b: { d: 'x', c: [1, 2] }, a: 1 } });
    expect(fingerprintOf(a).value).toBe(fingerprintOf(b).value);
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
  });

  it('change with one param, the kind version, an upstream fingerprint or the engine version', () => {
    const base = fingerprintOf(details()).value;
    expect(fingerprintOf(details({ params: { a: 2, b: { c: [1, 2], d: 'x' } } })).value).not.toBe(base);
    expect(fingerprintOf(details({ params: { a: 1, b: { c: [2, 1], d: 'x' } } })).value).not.toBe(base);
    expect(fingerprintOf(details({ kindVersion: 2 })).value).not.toBe(base);
    expect(fingerprintOf(details({ inputs: { dataset: 'e'.repeat(64) } })).value).not.toBe(base);
    expect(fingerprintOf(details({ engine: '0.2.0' })).value).not.toBe(base);
  });

  it('are the same whether defaults are written out or not, and key order in YAML does not matter', async () => {
    const implicit = await fingerprintsOf(yaml('{ epochs: 3 }'));
    const explicit = await fingerprintsOf(yaml('{ seed: 1, lr: 0.0002, epochs: 3, batch_size: 1, beta1: 0.5 }'));
    expect(explicit).toEqual(implicit);
    expect(Object.keys(implicit).sort()).toEqual([
      'dataset',
      'evaluate/a',
      'evaluate/b',
      'report',
      'train/a',
      'train/b',
    ]);
  });

  it('one changed param reruns that stage and its downstream only', async () => {
    const before = await fingerprintsOf(yaml('{ epochs: 3 }'));
    const after = await fingerprintsOf(yaml('{ epochs: 3 }').replace('train.seed: 2', 'train.seed: 3'));
    const changed = Object.keys(before)
      .filter((id) => before[id] !== after[id])
      .sort();
    expect(changed).toEqual(['evaluate/b', 'report', 'train/b']);
  });

  it('one changed byte of a source file changes the dataset and everything after it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'pipe-fp-'));
    const files = ['1.jpg', '2.jpg'].map((f) => path.join(dir, f));
    await writeFile(files[0]!, 'aaaa');
    await writeFile(files[1]!, 'bbbb');
    const before = await fingerprintsOf(yaml('{ epochs: 3 }'), files);
    await writeFile(files[1]!, 'bbbc');
    const after = await fingerprintsOf(yaml('{ epochs: 3 }'), files);
    expect(Object.keys(before).filter((id) => before[id] === after[id])).toEqual([]);
  });

  it('digest sources by path relative to their folder, so two mirrors of one dataset agree', async () => {
    const mk = async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'pipe-mirror-'));
      await writeFile(path.join(dir, 'x.png'), 'same');
      return [path.join(dir, 'x.png')];
    };
    expect(await fingerprintsOf(yaml('{}'), await mk())).toEqual(await fingerprintsOf(yaml('{}'), await mk()));
  });
});
