import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BACKEND_NAMES, isBackendName } from './backends.js';

const schema = JSON.parse(readFileSync(new URL('../../schemas/pipeline.schema.json', import.meta.url), 'utf8')) as {
  properties: { backend: { enum: string[]; default: string } };
};

describe('backend names', () => {
  it('are the schema enum, in the same order', () => {
    expect([...BACKEND_NAMES]).toEqual(schema.properties.backend.enum);
    expect(isBackendName(schema.properties.backend.default)).toBe(true);
    expect(isBackendName('metal')).toBe(false);
  });
});
