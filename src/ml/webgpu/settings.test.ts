// The webgpu settings' two sources: the pipeline's backend_options.webgpu, and the PIPE_WEBGPU_* variables that
// override it on one machine. What reaches a stage and its stage.json is tested in stages/train-webgpu.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PipeError } from '../../core/errors.js';
import { initBackend } from '../backend.js';
import { backboneConv } from './backbone-conv.js';
import { convAutotuneOn } from './conv-autotune.js';
import { checkWebgpuVariables, useWebgpuOptions, webgpuSetting, webgpuVariables } from './settings.js';
import { expectSkipAllowed, webgpuSkipReason } from './test-support.js';

afterEach(() => useWebgpuOptions());

describe('webgpu settings', () => {
  it('come from the pipeline as the variables spell them, and are unset where the pipeline is silent', () => {
    useWebgpuOptions({ kernels: 'stock', subgroups: false, f16: true, submit_batch: 64, conv_autotune: true });
    const none = {};
    expect(webgpuSetting('kernels', none)).toBe('stock');
    expect(webgpuSetting('subgroups', none)).toBe('0');
    expect(webgpuSetting('f16', none)).toBe('1');
    expect(webgpuSetting('submit_batch', none)).toBe('64');
    expect(webgpuSetting('conv_autotune', none)).toBe('1');
    expect(webgpuSetting('backbone_conv', none)).toBeUndefined();
    useWebgpuOptions({ submit_batch: null, subgroups: true });
    expect([webgpuSetting('submit_batch', none), webgpuSetting('subgroups', none)]).toEqual([undefined, '1']);
  });

  it("a machine's variable overrides the pipeline's key; an empty one does not", () => {
    useWebgpuOptions({ conv_autotune: true, backbone_conv: 'pipe' });
    expect(convAutotuneOn({})).toBe(true);
    expect(convAutotuneOn({ PIPE_WEBGPU_CONV_AUTOTUNE: '0' })).toBe(false);
    expect(convAutotuneOn({ PIPE_WEBGPU_CONV_AUTOTUNE: '' })).toBe(true);
    expect(backboneConv({})).toBe('pipe');
    expect(backboneConv({ PIPE_WEBGPU_BACKBONE_CONV: 'stock' })).toBe('stock');
    useWebgpuOptions();
    expect([convAutotuneOn({}), backboneConv({})]).toEqual([false, 'stock']);
  });

  it('a bad variable is refused even where the pipeline sets the key', () => {
    useWebgpuOptions({ conv_autotune: true });
    expect(() => convAutotuneOn({ PIPE_WEBGPU_CONV_AUTOTUNE: 'yes' })).toThrow(PipeError);
  });

  // Before, anything but "1" meant off for f16, and anything but "0" on for subgroups: `PIPE_WEBGPU_F16=true` was
  // silently ignored.
  it.each([
    ['PIPE_WEBGPU_F16', 'true', '"0" or "1"'],
    ['PIPE_WEBGPU_SUBGROUPS', 'off', '"0" or "1"'],
    ['PIPE_WEBGPU_KERNELS', 'tfjs', '"pipe" or "stock"'],
    ['PIPE_WEBGPU_SUBMIT_BATCH', '1.5', 'a whole number, 1 or more'],
  ])('%s=%s is refused with what it may be and what unsetting it does', (variable, value, allowed) => {
    const env = { [variable]: value };
    expect(() => checkWebgpuVariables(env)).toThrow(
      expect.objectContaining({
        exitCode: 2,
        message: `${variable} must be ${allowed}; got "${value}".`,
        hint: expect.stringMatching(/^Unset it to .*, or to take the pipeline's backend_options.webgpu\.$/),
      }),
    );
    expect(webgpuVariables(env)).toEqual([{ variable, value, problem: expect.stringContaining(allowed) }]);
  });

  it("lists the variables set on this machine for pipe doctor, and checks none that aren't set", () => {
    const env = { PIPE_WEBGPU_F16: '1', PIPE_WEBGPU_KERNELS: '', PIPE_WEBGPU_SUBMIT_BATCH: '64', HOME: '/h' };
    expect(webgpuVariables(env)).toEqual([
      { variable: 'PIPE_WEBGPU_F16', value: '1' },
      { variable: 'PIPE_WEBGPU_SUBMIT_BATCH', value: '64' },
    ]);
    expect(() => checkWebgpuVariables(env)).not.toThrow();
  });
});

const skipped = await webgpuSkipReason();
describe.skipIf(skipped !== null)('webgpu settings on the backend', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('a refused variable stops webgpu from loading with its own message, not an install hint', async () => {
    vi.stubEnv('PIPE_WEBGPU_F16', 'true');
    await expect(initBackend('webgpu')).rejects.toMatchObject({
      code: 'PIPE_BAD_OPTION',
      message: 'PIPE_WEBGPU_F16 must be "0" or "1"; got "true".',
    });
    vi.unstubAllEnvs();
    expect((await initBackend('webgpu')).name).toBe('webgpu');
    await initBackend('cpu');
  });
});

describe.skipIf(skipped === null)(`webgpu settings on the backend (skipped: ${skipped})`, () => {
  it('is skipped only where webgpu cannot run (never in CI)', () => expectSkipAllowed(skipped));
});
