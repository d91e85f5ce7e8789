// Writes the hostile inputs of issue 14 into a folder for bench/hostile/run-cases.sh (kept apart from
// the test suite: these are the same cases a careless or malicious user tried, run through the real CLI).
//   node --import tsx bench/hostile/make-cases.ts <dir>
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { PNG } from 'pngjs';
import { runFile, tarEntry } from '../../test/hostile/case-builders.js';

const dir = path.resolve(process.argv[2] ?? 'hostile-cases');
mkdirSync(dir, { recursive: true });
const put = (name: string, data: string | Uint8Array) => {
  mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
  writeFileSync(path.join(dir, name), data);
};

function png(w: number, h: number): Buffer {
  const p = new PNG({ width: w, height: h });
  p.data.fill(120);
  return PNG.sync.write(p);
}

// PNG declaring 30000×30000 with a tiny body: the header alone must stop it.
const bomb = Buffer.from(png(1, 1));
bomb.writeUInt32BE(30000, 16);
bomb.writeUInt32BE(30000, 20);
put('bomb.png', bomb);
put('small.png', png(8, 8));
put('dataset-bomb/train/1.png', bomb);
put('dataset-bomb/test/1.png', png(16, 8));

// A zip with a 256 MiB member of zeros (packs to ~0.5 MB) and a tar with a setuid member.
put('bomb.zip', zipSync({ 'zeros.bin': new Uint8Array(256 * 1024 * 1024) }, { level: 9 }));
put(
  'suid.tar.gz',
  gzipSync(Buffer.concat([tarEntry('bin/tool', Buffer.from('#!/bin/sh\n'), 0o4755), Buffer.alloc(1024)])),
);

// metrics.json files that must not pass a gate.
put('runs-m/null-mean/metrics.json', JSON.stringify(runFile({}, 'l1', null)));
put('runs-m/checks-oops/metrics.json', JSON.stringify(runFile({ checks: 'oops' })));
put('runs-m/checks-null/metrics.json', JSON.stringify(runFile({ checks: null })));
put('runs-m/truncated/metrics.json', JSON.stringify(runFile()).slice(0, 120));
put('runs-m/mean-abc/metrics.json', JSON.stringify(runFile({}, 'l1', 'abc')));
put(
  'runs-m/string-min/metrics.json',
  JSON.stringify(runFile({ checks: [{ variant: 'l1', metric: 'ssim', min: '0.3' }] })),
);
put('runs-m/variants-null/metrics.json', JSON.stringify(runFile({ variants: null })));
put(
  'runs-m/check-constructor/metrics.json',
  JSON.stringify(runFile({ checks: [{ variant: 'constructor', metric: 'ssim', max: 0.9 }] })),
);
put('runs-m/good/metrics.json', JSON.stringify(runFile()));
put('runs-m/ctor/metrics.json', JSON.stringify(runFile({}, 'constructor')));

// Pipeline files.
const base = (extra = '') =>
  `name: tiny\ndataset: { source: facades, load_size: 72, crop_size: 64, max_images: 4 }\nmodel: { kind: pix2pix, generator: unet, ngf: 8, ndf: 8 }\ntrain: { epochs: 3, seed: 1 }\nevaluate: { split: val, metrics: [ssim] }\nreport: { samples: 2 }\n${extra}`;
put('tiny.yaml', base('variants:\n  a: {}\n  b: { train.seed: 2 }\n'));
const aliases = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
for (let i = 1; i < 9; i++) {
  const c = String.fromCharCode(97 + i);
  aliases.push(
    `${c}: &${c} [${Array(9)
      .fill(`*${String.fromCharCode(96 + i)}`)
      .join(',')}]`,
  );
}
put('alias-bomb.yaml', `${aliases.join('\n')}\n${base()}`);
const list = (f: (i: number) => string) => `[${Array.from({ length: 1000 }, (_, i) => f(i + 1)).join(', ')}]`;
put('grid-1e6.yaml', base(`sweep: { grid: { train.seed: ${list(String)}, train.epochs: ${list(String)} } }\n`));
put(
  'grid-1e12.yaml',
  base(
    `sweep: { grid: { train.seed: ${list(String)}, train.epochs: ${list(String)}, train.lr: ${list((i) => `${i}e-7`)}, train.beta1: ${list((i) => `${i}e-4`)} } }\n`,
  ),
);
put('big-50mb.yaml', base(`# ${'x'.repeat(50 * 1024 * 1024)}\n`));
put('long-name.yaml', base().replace('name: tiny', `name: ${'n'.repeat(300)}`));
put('ctor-variants.yaml', base('variants:\n  constructor: {}\n  toString: { train.seed: 2 }\n'));
put('utf16.yaml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(base(), 'utf16le')]));
put('escape.yaml', base(`"\\e]0;HACKED\\a\\e[2J": 1\n`));
put('garbage.yaml', Buffer.from(Array.from({ length: 20000 }, (_, i) => 0x21 + ((i * 7919) % 94))));
put('split-path.yaml', base().replace('split: val', 'split: "../../../../tmp/x"'));
put('dataset-file.yaml', base().replace('source: facades', `path: ${path.join(dir, 'small.png')}`));
put('afile', 'x');
process.stdout.write(`${dir}\n`);
