// HDF5 weight files (the Keras applications `.h5`) through h5wasm. Tensor names are dataset paths without the
// leading slash, e.g. `block1_conv1/block1_conv1/kernel:0` (Keras 2) — backbones match on the layer prefix.
import { badFile } from '../errors.js';
import type { ReadOptions, WeightMap } from '../types.js';

type H5 = typeof import('h5wasm/node');

let h5: Promise<H5> | undefined;
async function load(): Promise<H5> {
  // Lazy: the wasm module costs ~100 ms to start and most runs never read .h5.
  h5 ??= import('h5wasm/node').then(async (m) => {
    await m.ready;
    return m;
  });
  return h5;
}

export async function readHdf5(file: string, opts: ReadOptions = {}): Promise<WeightMap> {
  const m = await load();
  let f: InstanceType<H5['File']>;
  try {
    f = new m.File(file, 'r');
  } catch (err) {
    throw badFile(file, `not an HDF5 file (${(err as Error).message})`);
  }
  const out: WeightMap = new Map();
  try {
    const walk = (group: InstanceType<H5['Group']>, prefix: string) => {
      for (const key of group.keys()) {
        const entry = group.get(key);
        const name = prefix ? `${prefix}/${key}` : key;
        if (entry instanceof m.Group) walk(entry, name);
        else if (entry instanceof m.Dataset) {
          if (opts.only && !opts.only(name)) continue;
          const value = entry.value;
          if (!(value instanceof Float32Array || value instanceof Float64Array))
            throw badFile(file, `dataset ${name} is not a float array`);
          out.set(name, {
            shape: entry.shape ?? [],
            data: value instanceof Float32Array ? value : Float32Array.from(value),
          });
        }
      }
    };
    walk(f, '');
  } finally {
    f.close();
  }
  return out;
}
