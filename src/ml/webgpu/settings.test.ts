// The webgpu settings' two sources: the pipeline's backend_options.webgpu, and the PIPE_WEBGPU_* variables that
// override it on one machine. What reaches a stage and its stage.json is tested in stages/train-webgpu.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { PipeError } from '../../core/errors.js';
import { backboneConv } from './backbone-conv.js';
import { convAutotuneOn } from './conv-autotune.js';
import { useWebgpuOptions, webgpuSetting } from './settings.js';

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
});
