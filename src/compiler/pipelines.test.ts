// The example pipelines users copy must compile, and the schema must document every key.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileFile } from './index.js';
import { pipelineSchema, type JsonSchema } from './schema.js';

const pipelinesDir = fileURLToPath(new URL('../../pipelines/', import.meta.url));

describe('example pipelines', () => {
  const expected: Record<string, [configs: number, stages: number]> = {
    'quickstart.yaml': [2, 6],
    'facades-perceptual.yaml': [2, 6],
    'facades-sweep.yaml': [12, 26],
    'summer2winter-cyclegan.yaml': [1, 4],
    'study-facades-64.yaml': [12, 26],
  };

  it('has the five documented pipelines', () => {
    expect(
      readdirSync(pipelinesDir)
        .filter((f) => f.endsWith('.yaml'))
        .sort(),
    ).toEqual(Object.keys(expected).sort());
  });

  for (const [file, [configs, stages]] of Object.entries(expected)) {
    it(`compiles ${file}`, async () => {
      const c = await compileFile(pipelinesDir + file);
      expect(c.text.split('\n')[0]).toBe('# yaml-language-server: $schema=../schemas/pipeline.schema.json');
      expect(c.configs).toHaveLength(configs);
      expect(Object.keys(c.dag.stages)).toHaveLength(stages);
    });
  }

  it('quickstart uses the Keras VGG19 weights that exist offline, and facades-perceptual the seed experiment', async () => {
    const q = await compileFile(pipelinesDir + 'quickstart.yaml');
    const perceptual = q.configs.find((c) => c.id === 'perceptual')?.config.loss.perceptual;
    expect(perceptual?.weight).toBeGreaterThan(0); // its value is tuned with the engine
    expect(perceptual).toMatchObject({
      backbone: 'vgg19',
      weights: 'keras',
      layers: { relu3_3: 1 },
    });
    const f = await compileFile(pipelinesDir + 'facades-perceptual.yaml');
    expect(f.config.dataset).toMatchObject({ load_size: 286, crop_size: 256, direction: 'BtoA' });
    expect(f.config.train).toMatchObject({ epochs: 100, epochs_decay: 100 });
    expect(f.config.model.generator).toBe('unet_256');
  });
});

describe('schema', () => {
  it('gives every key a description, and a default unless it is required', () => {
    const root = pipelineSchema();
    const missing: string[] = [];
    const deref = (s: JsonSchema): JsonSchema =>
      typeof s.$ref === 'string' ? (root.$defs as Record<string, JsonSchema>)[s.$ref.split('/').pop() as string] : s;
    const walk = (s: JsonSchema, where: string) => {
      const t = deref(s);
      const required = (t.required as string[] | undefined) ?? [];
      for (const [k, sub] of Object.entries((t.properties as Record<string, JsonSchema> | undefined) ?? {})) {
        const d = deref(sub);
        if (!sub.description && !d.description) missing.push(`${where}${k}: description`);
        if (!required.includes(k) && !('default' in sub) && !('default' in d)) missing.push(`${where}${k}: default`);
        walk(sub, `${where}${k}.`);
      }
      if (t.items) walk(t.items as JsonSchema, `${where}[].`);
    };
    walk(root, '');
    expect(missing).toEqual([]);
  });
});
