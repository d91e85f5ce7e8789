import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsToJson } from './metrics-file.js';
import { readMetricsFile } from './metrics-read.js';
import { FileFormatError } from './read-json.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-formats-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function write(name: string, text: string): Promise<string> {
  const file = path.join(tmp, name);
  await fs.writeFile(file, text);
  return file;
}

describe('readMetricsFile', () => {
  it('reads the format asked for, non-finite numbers included', async () => {
    // A whole run file: the reader checks every field a gate reads.
    const psnr = { n: 1, mean: Infinity, std: 0, ci_low: Infinity, ci_high: Infinity };
    const run = {
      format: 'pipe.run/1',
      pipeline: 'p',
      metrics: ['psnr'],
      configs: {},
      variants: {},
      groups: { g: { configs: [], summary: { psnr } } },
      checks: [],
    };
    const file = await write('run.json', metricsToJson(run));
    const back = await readMetricsFile(file, ['pipe.run/1']);
    expect(back.groups).toEqual({ g: { configs: [], summary: { psnr: { ...psnr, mean: Infinity } } } });
    expect(back.groups.g!.summary.psnr!.mean).toBe(Infinity);
  });

  it('names the file and the problem: missing, not JSON, wrong format, missing section', async () => {
    const cases: [string, string | undefined, RegExp][] = [
      ['absent.json', undefined, /absent\.json as a metrics\.json \(pipe\.run\/1\): it does not exist/],
      ['torn.json', '{"format": "pipe.run/1", ', /torn\.json .*it is not JSON/],
      [
        'eval.json',
        metricsToJson({ format: 'pipe.evaluate/1', summary: {}, images: {}, directions: {} }),
        /eval\.json .*its format is "pipe\.evaluate\/1", not pipe\.run\/1/,
      ],
      ['old.json', '{"configs": {}}', /old\.json .*it has no "format" field/],
      ['partial.json', '{"format": "pipe.run/1", "configs": {}}', /partial\.json .*it has no variants, groups section/],
    ];
    for (const [name, text, message] of cases) {
      const file = text === undefined ? path.join(tmp, name) : await write(name, text);
      const err = await readMetricsFile(file, ['pipe.run/1']).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FileFormatError);
      expect((err as FileFormatError).exitCode).toBe(2);
      expect((err as Error).message).toMatch(message);
    }
  });
});
