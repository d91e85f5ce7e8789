// Builders for issue 14's hostile inputs, shared by the tests in this folder and by bench/hostile/make-cases.ts
// (which writes the same cases to disk for the CLI rerun kept apart from the suite).

/** One ustar header + data block with the given mode (e.g. 0o4755 for a setuid member). */
export function tarEntry(name: string, data: Buffer, mode = 0o644): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(`${mode.toString(8).padStart(7, '0')}\0`, 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return Buffer.concat([h, data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

const summary = (mean: unknown) => ({ n: 4, mean, std: 0.01, ci_low: 0.5, ci_high: 0.7 });

/** A run-level metrics.json (format pipe.run/1) with one variant and an ssim gate; `over` replaces top-level keys. */
export function runFile(
  over: Record<string, unknown> = {},
  variant = 'l1',
  mean: unknown = 0.6,
): Record<string, unknown> {
  return {
    format: 'pipe.run/1',
    pipeline: 'p',
    baseline: null,
    metrics: ['ssim'],
    configs: {
      [variant]: {
        variant,
        overrides: {},
        seed: null,
        group: variant,
        split: 'test',
        summary: { ssim: summary(mean) },
        images: {},
        speed: null,
        backend: {},
        directions: {},
      },
    },
    groups: {},
    variants: { [variant]: { configs: [variant], summary: { ssim: summary(mean) } } },
    checks: [{ variant, metric: 'ssim', max: 0.9 }],
    ...over,
  };
}
