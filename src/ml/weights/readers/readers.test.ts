import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_DIR, SHARED_WEIGHTS_DIR } from '../../../../test/shared-paths.js';
import { readHdf5 } from './hdf5.js';
import { encodeSafetensors, parseSafetensors, readSafetensors } from './safetensors.js';
import { readTfjsManifest } from './tfjs.js';
import { parseTorch, readTorch } from './torch.js';
import { unpickle, UnsafePickleError } from './unpickle.js';

const FIX = path.join(REPO_DIR, 'test/fixtures/weights');
const expected = JSON.parse(await fs.readFile(path.join(FIX, 'expected.json'), 'utf8')) as Record<
  string,
  Record<string, { shape: number[]; values: number[] }>
>;

function expectSame(
  got: { shape: number[]; data: Float32Array } | undefined,
  want: { shape: number[]; values: number[] },
) {
  expect(got).toBeDefined();
  expect(got!.shape).toEqual(want.shape);
  expect(got!.data.length).toBe(want.values.length);
  // float32 on both sides (f16/f64 were converted by torch the same way): exact.
  want.values.forEach((v, i) => expect(got!.data[i]).toBe(Math.fround(v)));
}

describe('PyTorch .pth reader', () => {
  for (const file of ['small_zip.pth', 'small_legacy.pth', 'wrapped_zip.pth']) {
    it(`reads every tensor of ${file} (f32/f64/f16/int64, strided views, shared storages)`, async () => {
      const w = await readTorch(path.join(FIX, file));
      expect([...w.keys()]).toEqual(Object.keys(expected.torch!));
      for (const [name, want] of Object.entries(expected.torch!)) expectSame(w.get(name), want);
    });
  }

  it('decodes only the tensors asked for', async () => {
    const w = await readTorch(path.join(FIX, 'small_zip.pth'), { only: (n) => n.startsWith('conv.') });
    expect([...w.keys()]).toEqual(['conv.weight', 'conv.bias']);
  });

  it('reads the published LPIPS v0.1 heads (legacy torch.save format)', async () => {
    for (const [net, channels] of [
      ['squeeze', [64, 128, 256, 384, 384, 512, 512]],
      ['vgg', [64, 128, 256, 512, 512]],
      ['alex', [64, 192, 384, 256, 256]],
    ] as const) {
      const w = await readTorch(path.join(SHARED_WEIGHTS_DIR, `lpips/v0.1/${net}.pth`));
      expect([...w.keys()]).toEqual(channels.map((_, i) => `lin${i}.model.1.weight`));
      channels.forEach((c, i) => expect(w.get(`lin${i}.model.1.weight`)!.shape).toEqual([1, c, 1, 1]));
    }
    // A value checked against torch.load(...)['lin0.model.1.weight'].flatten()[:2] of squeeze.pth.
    const sq = await readTorch(path.join(SHARED_WEIGHTS_DIR, 'lpips/v0.1/squeeze.pth'));
    const heads = (expected as unknown as { lpips_squeeze_lin0_first8: number[] }).lpips_squeeze_lin0_first8;
    expect(Array.from(sq.get('lin0.model.1.weight')!.data.slice(0, heads.length))).toEqual(heads.map(Math.fround));
  });

  it('refuses a pickle that names os.system, without running it', async () => {
    const marker = path.join(os.tmpdir(), 'pipe-pwned');
    await fs.rm(marker, { force: true });
    for (const file of ['evil_proto2.pkl', 'evil_proto4.pkl']) {
      const bytes = new Uint8Array(await fs.readFile(path.join(FIX, file)));
      expect(() => unpickle(bytes, 0, { globals: new Map(), where: file })).toThrow(UnsafePickleError);
      expect(() => unpickle(bytes, 0, { globals: new Map(), where: file })).toThrow(
        /posix\.system.*refused and not executed/,
      );
    }
    // Protocol 0 spelling of the classic exploit.
    const classic = new TextEncoder().encode("cos\nsystem\n(S'echo pwned'\ntR.");
    expect(() => unpickle(classic, 0, { globals: new Map(), where: 'classic' })).toThrow(/"os\.system"/);
    // Inside a zip checkpoint: a user error with its code, naming the global.
    await expect(readTorch(path.join(FIX, 'evil_zip.pth'))).rejects.toMatchObject({
      code: 'PIPE_WEIGHTS_UNSAFE_PICKLE',
      message: expect.stringMatching(/posix\.system/),
    });
    expect(existsSync(marker)).toBe(false);
  });

  it('reports a truncated checkpoint as a damaged file, at any cut', async () => {
    for (const file of ['small_zip.pth', 'small_legacy.pth']) {
      const bytes = new Uint8Array(await fs.readFile(path.join(FIX, file)));
      for (let cut = 1; cut < bytes.length; cut += 37) {
        let err: unknown;
        try {
          parseTorch(bytes.subarray(0, cut), file);
        } catch (e) {
          err = e;
        }
        expect(err, `${file} cut at ${cut}`).toMatchObject({
          code: 'PIPE_WEIGHTS_UNREADABLE',
          message: expect.stringContaining(file),
        });
      }
    }
  });

  it('names the file when the bytes are not a checkpoint', () => {
    expect(() => parseTorch(new Uint8Array([1, 2, 3, 4]), 'junk.pth')).toThrow(/junk\.pth.*neither a zip nor a legacy/);
  });
});

describe('safetensors reader', () => {
  it('round-trips through the writer and rejects a truncated file', () => {
    const t = new Map([
      ['a.weight', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
      ['b', { shape: [1], data: Float32Array.from([-7.5]) }],
    ]);
    const bytes = encodeSafetensors(t);
    const back = parseSafetensors(bytes, 'mem.safetensors');
    expect([...back.keys()]).toEqual(['a.weight', 'b']);
    expect(Array.from(back.get('a.weight')!.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => parseSafetensors(bytes.subarray(0, bytes.length - 4), 'cut.safetensors')).toThrow(
      /cut\.safetensors.*truncated/,
    );
  });

  it('reads the mirror SqueezeNet 1.1 (50 tensors, torchvision names, OIHW)', async () => {
    const w = await readSafetensors(path.join(SHARED_WEIGHTS_DIR, 'squeezenet1_1/squeezenet1_1.safetensors'));
    expect(w.size).toBe(50);
    expect(w.get('features.0.weight')!.shape).toEqual([64, 3, 3, 3]);
    expect(w.get('features.12.expand3x3.weight')!.shape).toEqual([256, 64, 3, 3]);
  });
});

describe('HDF5 reader (h5wasm)', () => {
  it('reads a Keras-layout .h5 made by h5py', async () => {
    const w = await readHdf5(path.join(FIX, 'small_keras.h5'));
    for (const [name, want] of Object.entries(expected.hdf5!)) expectSame(w.get(name), want);
  });
});

describe('TensorFlow.js manifest reader', () => {
  const manifest = path.join(SHARED_WEIGHTS_DIR, 'vgg19-keras/model.json');
  it('loads only the groups holding wanted tensors', async () => {
    const { weights, missingShards } = await readTfjsManifest(manifest, { only: (n) => n.startsWith('block1_') });
    expect([...weights.keys()]).toEqual([
      'block1_conv1/kernel',
      'block1_conv1/bias',
      'block1_conv2/kernel',
      'block1_conv2/bias',
    ]);
    expect(weights.get('block1_conv2/kernel')!.shape).toEqual([3, 3, 64, 64]);
    expect(missingShards).toEqual([]);
  });
  it('reports the shards a partial mirror lacks instead of failing on the layers it has', async () => {
    const { weights, missingShards } = await readTfjsManifest(manifest, { only: (n) => /^block[34]_conv1\//.test(n) });
    expect([...weights.keys()]).toEqual(['block3_conv1/kernel', 'block3_conv1/bias']);
    expect(missingShards.map((s) => path.basename(s))).toEqual(['group9-shard1of2', 'group9-shard2of2']);
  });
});
