import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateValidatorsSource, GENERATED_FILE, SCHEMA_FILE } from './gen-validators.js';
import { buildValidators } from './schema.js';
import { pathTargetPointers } from './schema-walk.js';

const text = readFileSync(SCHEMA_FILE, 'utf8');

describe('precompiled validators', () => {
  it('are up to date with the schema (else run `npm run gen:validators`)', () => {
    expect(readFileSync(GENERATED_FILE, 'utf8') === generateValidatorsSource(text)).toBe(true);
  });

  it('behave like validators compiled at run time, defaults and errors included', () => {
    const fast = buildValidators(text, true);
    const slow = buildValidators(text, false);
    const sample = () => ({
      name: 't',
      dataset: { source: 'facades', crop_size: 4 },
      train: { epochs: 'x', lerning_rate: 1 },
      checks: [{ variant: 'a' }],
    });
    for (const pointer of pathTargetPointers(fast.schema)) {
      expect(fast.validatorAt(pointer), pointer).toBeTypeOf('function');
    }
    const a = sample();
    const b = sample();
    const va = fast.validatorAt('') as NonNullable<ReturnType<typeof fast.validatorAt>>;
    const vb = slow.validatorAt('') as NonNullable<ReturnType<typeof slow.validatorAt>>;
    expect(va(a)).toBe(false);
    vb(b);
    expect(a).toEqual(b);
    const strip = (errs: typeof va.errors) =>
      errs?.map(({ instancePath, keyword, params }) => ({ instancePath, keyword, params }));
    expect(strip(va.errors)).toEqual(strip(vb.errors));
    expect(strip(va.errors)?.length).toBeGreaterThan(3);
    const layers = '/$defs/layerWeights';
    const okFast = fast.validatorAt(layers)?.({ relu3_3: 1 });
    expect(okFast).toBe(true);
  });
});
