// Issue 14 §4: hostile pipeline files and options get a message, not a stack trace or a hang.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, expectNoTrace, makeProject, type Project } from './cli-harness.js';

let p: Project;
beforeAll(async () => {
  p = await makeProject();
});
afterAll(async () => p.cleanup());

const base = (extra = '') =>
  `name: tiny\ndataset: { source: facades, load_size: 72, crop_size: 64, max_images: 4 }\nmodel: { kind: pix2pix, generator: unet, ngf: 8, ndf: 8 }\ntrain: { epochs: 3, seed: 1 }\nevaluate: { split: val, metrics: [ssim] }\n${extra}`;

async function pipeline(name: string, text: string | Buffer): Promise<string> {
  const f = path.join(p.dir, name);
  await writeFile(f, text);
  return f;
}

describe('pipeline files', () => {
  it('a YAML alias bomb is a file:line:col error, exit 1', async () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++)
      lines.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const f = await pipeline('bomb.yaml', `${lines.join('\n')}\n${base()}`);
    const r = await cli('validate', f);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`${f.replace(/[.]/g, '\\.')}:\\d+:\\d+: .*alias`, 'i'));
    expect(expectNoTrace(r.err)).toBe(true);
  });

  it('a sweep of 1000x1000 (and of 10^12) is refused at once, saying the count; --max-configs raises the cap', async () => {
    const list = `[${Array.from({ length: 1000 }, (_, i) => i + 1).join(', ')}]`;
    const f = await pipeline('grid.yaml', base(`sweep: { grid: { train.seed: ${list}, train.epochs: ${list} } }\n`));
    const t0 = Date.now();
    const r = await cli('validate', f);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/1,?000,?000 configs.*10,?000.*--max-configs/s);
    const huge = await pipeline(
      'huge.yaml',
      base(
        `sweep: { grid: { train.seed: ${list}, train.epochs: ${list}, train.lr: ${list.replace(/(\d+)/g, '$1e-7')}, train.beta1: ${list.replace(/(\d+)/g, '$1e-4')} } }\n`,
      ),
    );
    const h = await cli('validate', huge);
    expect(h.code).toBe(1);
    expect(h.err).toMatch(/1,?000,?000,?000,?000 configs/);
    const small = await pipeline('small.yaml', base('sweep: { grid: { train.seed: [1, 2, 3] } }\n'));
    expect((await cli('validate', small, '--max-configs', '2')).code).toBe(1);
    expect((await cli('validate', small, '--max-configs', '3')).code).toBe(0);
  });

  it('a pipeline file over the size cap is refused before parsing', async () => {
    const f = await pipeline('big.yaml', base(`# ${'x'.repeat(2 * 1024 * 1024)}\n`));
    const r = await cli('validate', f);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/big\.yaml.*over the limit.*PIPE_MAX_PIPELINE_BYTES/s);
  });

  it('a 300-character name or variant name is refused by validate', async () => {
    const long = 'n'.repeat(300);
    const f = await pipeline('long.yaml', base().replace('name: tiny', `name: ${long}`));
    const r = await cli('validate', f);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/long\.yaml:1:\d+: name: .*(100|long)/);
    const v = await pipeline('longv.yaml', base(`variants: { ${long}: {} }\n`));
    expect((await cli('validate', v)).code).toBe(1);
  });

  it('a UTF-16 file says which encoding it is; NUL bytes are reported', async () => {
    const text = base();
    const le = await pipeline('utf16le.yaml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const r = await cli('validate', le);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/utf16le\.yaml.*UTF-16 LE.*UTF-8/s);
    const nul = await pipeline('nul.yaml', `${text}\0\0garbage`);
    const n = await cli('validate', nul);
    expect(n.code).toBe(1);
    expect(n.err).toMatch(/nul\.yaml:6:1: .*NUL/);
    const bom = await pipeline('bom.yaml', `\ufeff${text}`);
    expect((await cli('validate', bom)).code).toBe(0);
  });

  it('control bytes in a key are escaped and long garbage is capped in messages', async () => {
    const garbage = Array.from({ length: 5000 }, (_, i) => String.fromCharCode(0x21 + (i % 90)))
      .join('')
      .replace(/["\\]/g, '');
    const f = await pipeline(
      'esc.yaml',
      base(`"\\e]0;HACKED\\a\\e[2J": 1\nmodel_x: "${garbage}"\n`).replace('name: tiny', `name: "x\\e[2J${garbage}"`),
    );
    const r = await cli('validate', f);
    expect(r.code).toBe(1);
    // eslint-disable-next-line no-control-regex -- the test looks for terminal control characters
    expect(r.err).not.toMatch(/[\x07\x1b]/);
    expect(r.err).toContain('\\u001b]0;HACKED');
    for (const line of r.err.split('\n')) expect(line.length).toBeLessThan(1200);
  });
});

describe('options', () => {
  it('--progress bogus is a usage error', async () => {
    const r = await cli('run', p.file, '--progress', 'bogus');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--progress/);
  });

  it(
    'directory options pointing at a file or into /proc are refused up front (exit 2, no hang)',
    { timeout: 10_000 },
    async () => {
      const file = path.join(p.dir, 'afile');
      await writeFile(file, 'x');
      for (const args of [
        ['run', p.file, '--runs-dir', file],
        ['run', p.file, '--runs-dir', '/proc/x'],
        ['plan', p.file, '--cache-dir', file],
        ['run', p.file, '--cache-dir', path.join(file, 'sub')],
        ['gc', '--cache-dir', file],
        ['runs', '--runs-dir', file],
        ['check', '--runs-dir', file],
        ['compare', 'a', 'b', '--runs-dir', '/proc/x'],
      ]) {
        const r = await cli(...args, ...(args[0] === 'run' ? ['--progress', 'none'] : []));
        expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(2);
        expect(r.err).toMatch(/not a directory|system folder|under a file/);
        expect(expectNoTrace(r.err)).toBe(true);
      }
    },
  );
});
void mkdir;

describe('config ids', () => {
  it('a sweep value of 300 characters gives a bounded config id (a folder name), still unique', async () => {
    const { compilePipelineText } = await import('../../src/compiler/index.js');
    const long = 'x'.repeat(300);
    const text =
      base().replace('source: facades, ', '') + `sweep: { grid: { dataset.path: [d/${long}, d/${long}y] } }\n`;
    const c = compilePipelineText(text, 'ids.yaml', []);
    const ids = c.configs.map((x) => x.id);
    expect(new Set(ids).size).toBe(2);
    for (const id of ids) expect(id.length).toBeLessThanOrEqual(120);
  });
});
