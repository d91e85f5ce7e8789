// The manual stays true to the code: the DSL reference is what the schema generates, and every relative
// link in README.md, CONTRIBUTING.md and docs/*.md reaches a file (and heading) that exists.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchors, brokenLinks, linkTargets, manualPages, slug } from '../../scripts/check-links.js';
import { readSchema, referencePath, renderReference, repoRoot } from '../../scripts/gen-docs.js';
import { commandNames } from '../../src/cli.js';

describe('docs/pipeline-reference.md', () => {
  it('is what `npm run gen:docs` writes from the schema (run it after changing the schema)', () => {
    expect(readFileSync(referencePath, 'utf8')).toBe(renderReference(readSchema()));
  });

  it('has a row for every key of the schema', () => {
    const schema = readSchema();
    const reference = readFileSync(referencePath, 'utf8');
    for (const [name, def] of Object.entries(schema.$defs ?? {})) {
      for (const key of Object.keys(def.properties ?? {})) {
        // Every property of every definition shows up as the last segment of some row's key.
        expect(reference, `${name}.${key}`).toMatch(new RegExp(`\\| \`[^\`]*\\b${key}\` \\|`));
      }
    }
  });
});

describe('relative links in the manual', () => {
  it('all resolve to a file and, with #anchor, to a heading', () => {
    const pages = manualPages();
    expect(pages.map((p) => path.basename(p))).toEqual(expect.arrayContaining(['README.md', 'CONTRIBUTING.md']));
    expect(brokenLinks(pages)).toEqual([]);
  });

  it('the checker itself finds a missing file and a missing anchor', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pipe-links-'));
    const page = path.join(dir, 'a.md');
    writeFileSync(path.join(dir, 'b.md'), '# Title\n\n## Running `pipe run`: options\n');
    writeFileSync(
      page,
      [
        '[ok](b.md#running-pipe-run-options) [gone](missing.md) [bad anchor](b.md#nope) [web](https://x.org/y)',
        '```',
        '[in a code block](not-checked.md)',
        '```',
        'and `[inline code](not-checked.md)`',
      ].join('\n'),
    );
    expect(brokenLinks([page], dir)).toEqual([
      'a.md: missing.md: no such file missing.md',
      'a.md: b.md#nope: no heading with anchor #nope in b.md',
    ]);
  });

  it('computes anchors as GitHub does', () => {
    expect(slug('Checking a pipeline: `pipe validate`')).toBe('checking-a-pipeline-pipe-validate');
    expect(slug('Variants, sweeps and `--set`')).toBe('variants-sweeps-and---set');
    expect(slug('Why these libraries')).toBe('why-these-libraries');
    expect([...anchors('# A\n## A\n```\n# not a heading\n```\n')]).toEqual(['a', 'a-1']);
    expect(linkTargets('![img](docs/report.png) [t](x.md "title")')).toEqual(['docs/report.png', 'x.md']);
  });
});

describe("README's commands table", () => {
  it('has one row for every pipe command, and no row for a command pipe lacks', () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `pipe ([a-z-]+)/gm)].map((m) => m[1]);
    expect([...rows].sort()).toEqual([...commandNames].sort());
  });
});
