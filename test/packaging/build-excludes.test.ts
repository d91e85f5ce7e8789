// Test helpers and build scripts must never ship in dist/ (npm pack lists dist/): every such module under src/ is
// named in tsconfig.build.json's exclude list. Checked statically so the suite needs no build.
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { REPO_DIR } from '../shared-paths.js';

const HELPER_NAME = /(^|[-_])(test|testing|fixtures?)([-_.]|$)|^gen-/;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

it('excludes every test helper and build script under src/ from the build', () => {
  const text = fs.readFileSync(path.join(REPO_DIR, 'tsconfig.build.json'), 'utf8');
  const excluded = new Set([...text.matchAll(/"(src\/[^"*]+\.ts)"/g)].map((m) => m[1]));
  const helpers = sourceFiles(path.join(REPO_DIR, 'src'))
    .map((f) => path.relative(REPO_DIR, f).split(path.sep).join('/'))
    .filter((f) => !f.endsWith('.test.ts') && HELPER_NAME.test(path.basename(f, '.ts')));
  expect(helpers.length).toBeGreaterThan(0);
  expect(helpers.filter((f) => !excluded.has(f))).toEqual([]);
  expect(text).toContain('"src/**/*.test.ts"');
});
