// Each file format pipe writes is read through one validating reader: a sound file (with or without the
// format field of older versions) comes back; a missing field, a wrong type, another version or torn JSON is a
// FileFormatError, exit 2, whose one-paragraph message names the file and the field.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPreparedManifest } from './dataset-manifest.js';
import { FileFormatError } from './read-json.js';
import { readRunRecord } from './run-record.js';
import { readStageRecord } from './stage-record.js';
import { readTrainSummary } from './train-summary.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-formats-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

let n = 0;
async function write(name: string, content: unknown): Promise<string> {
  const file = path.join(tmp, `${n++}-${name}`);
  await fs.writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

async function failure(read: (f: string) => Promise<unknown>, file: string): Promise<FileFormatError> {
  const err = await read(file).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(FileFormatError);
  const e = err as FileFormatError;
  expect(e.exitCode).toBe(2);
  expect(e.message).toContain(file);
  expect(e.message).not.toMatch(/\n\s+at /); // one paragraph, no stack
  return e;
}

const domain = { file: 'train_A.u8', count: 2, names: ['a.png', 'b.png'] };
const role = (split: string) => ({ split, size: 8, A: { ...domain }, B: { ...domain } });

interface Case {
  name: string;
  read: (file: string) => Promise<unknown>;
  valid: Record<string, unknown>;
  /** Written by this build. */
  format: unknown;
  /** Readable without `format` (files written before it was recorded). */
  legacy: boolean;
  /** Path of a required field; none for stage.json, whose fields are all optional. */
  missing?: string[];
  wrongType: [path: string[], value: unknown, field: string];
}

const cases: Case[] = [
  {
    name: 'run.json',
    read: readRunRecord,
    valid: {
      pipeline: 'p',
      runId: 'r1',
      status: 'done',
      startedAt: '2026-01-01T00:00:00Z',
      stages: { 'train/l1': { kind: 'train', configs: ['l1'], status: 'done', fingerprint: 'ab' } },
      failed: [],
    },
    format: 'pipe.run-record/1',
    legacy: true,
    missing: ['stages', 'train/l1', 'status'],
    wrongType: [['pid'], '123', 'pid'],
  },
  {
    name: 'stage.json',
    read: readStageRecord,
    valid: {
      stageId: 'train/l1',
      kind: 'train',
      fingerprint: 'ab',
      params: {},
      seconds: 2.5,
      backend: { name: 'wasm' },
    },
    format: 'pipe.stage/1',
    legacy: true,
    wrongType: [['seconds'], 'slow', 'seconds'],
  },
  {
    name: 'dataset.json',
    read: readPreparedManifest,
    valid: {
      layout: 'aligned',
      direction: 'AtoB',
      loadSize: 8,
      cropSize: 8,
      sourceDigest: 'ab',
      source: {},
      train: role('train'),
      eval: role('test'),
    },
    format: 1,
    legacy: false,
    missing: ['eval', 'B', 'count'],
    wrongType: [['train', 'A', 'names'], 'a.png', 'train.A.names'],
  },
  {
    name: 'train.json',
    read: readTrainSummary,
    valid: {
      steps: 4,
      epochs: 1,
      stepsPerEpoch: 4,
      secondsPerStep: 0.1,
      trainSeconds: 0.4,
      parameterCounts: { G: 10 },
      finalLosses: { G_L1: 0.1 },
      trainImages: { A: 2, B: 2, size: 8, crop: 8 },
      backend: { name: 'wasm' },
    },
    format: 'pipe.train/1',
    legacy: true,
    missing: ['finalLosses'],
    wrongType: [['steps'], null, 'steps'],
  },
];

function without(value: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const copy = structuredClone(value);
  let at = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  delete at[keys.at(-1)!];
  return copy;
}

function withValue(value: Record<string, unknown>, keys: string[], v: unknown): Record<string, unknown> {
  const copy = structuredClone(value);
  let at = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  at[keys.at(-1)!] = v;
  return copy;
}

describe.each(cases)('$name', (c) => {
  it('reads a sound file with its format field, and an older one without it when that version had none', async () => {
    const file = await write(c.name, { format: c.format, ...c.valid });
    expect(await c.read(file)).toMatchObject({ format: c.format, ...c.valid });
    const old = await write(c.name, c.valid);
    if (c.legacy) expect(await c.read(old)).toMatchObject(c.valid);
    else expect((await failure(c.read, old)).field).toBe('format');
  });

  it('names the file and the field of the wrong type', async () => {
    const [keys, value, field] = c.wrongType;
    const file = await write(c.name, withValue({ format: c.format, ...c.valid }, keys, value));
    const e = await failure(c.read, file);
    expect(e.field).toBe(field);
    expect(e.message).toMatch(new RegExp(`${field.replace(/\./g, '\\.')}: expected an? (string|number|list)`));
  });

  it('refuses another version, truncated JSON, a non-object and a missing file', async () => {
    const other = await write(c.name, { ...c.valid, format: 'pipe.other/9' });
    expect((await failure(c.read, other)).field).toBe('format');
    const text = JSON.stringify({ format: c.format, ...c.valid });
    const torn = await write(c.name, text.slice(0, text.length / 2));
    expect((await failure(c.read, torn)).message).toMatch(/is not JSON .*truncated/);
    const list = await write(c.name, '[]');
    expect((await failure(c.read, list)).message).toMatch(/expected an object, got a list/);
    const absent = path.join(tmp, `absent-${c.name}`);
    expect((await failure(c.read, absent)).message).toMatch(/it does not exist/);
  });
});

// Every field of stage.json is optional (old records carry subsets), so it has no missing-field case.
describe.each(cases.filter((c) => c.missing))('$name', (c) => {
  it('names the file and the field that is missing', async () => {
    const file = await write(c.name, without({ format: c.format, ...c.valid }, c.missing!));
    const e = await failure(c.read, file);
    const field = c.missing!.join('.');
    expect(e.field).toBe(field);
    expect(e.message).toContain(`${field}: expected`);
    expect(e.message).toMatch(/the field is missing/);
  });
});
