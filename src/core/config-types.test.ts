// config.generated.ts is json2ts's output for the schema (npm run gen:types); like the precompiled validators, it
// must never drift from schemas/pipeline.schema.json.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileFromFile } from 'json-schema-to-typescript';
import { describe, expect, it } from 'vitest';

const SCHEMA_FILE = fileURLToPath(new URL('../../schemas/pipeline.schema.json', import.meta.url));
const GENERATED_FILE = fileURLToPath(new URL('./config.generated.ts', import.meta.url));

describe('generated config types', () => {
  it('are up to date with the schema (else run `npm run gen:types`)', async () => {
    // The same options as the gen:types script in package.json.
    const fresh = await compileFromFile(SCHEMA_FILE, { unreachableDefinitions: true, additionalProperties: false });
    expect(fresh).toBe(readFileSync(GENERATED_FILE, 'utf8'));
  }, 30_000);
});
