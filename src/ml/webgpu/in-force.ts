// The webgpu settings a stage runs with (settings.ts), applied to the active backend and described as stage.json
// records them under backend.details. Run when webgpu loads and again each time a later stage of the same process
// activates it, since each stage brings its own pipeline's backend_options.webgpu.
import { backboneConv } from './backbone-conv.js';
import { convAutotuneOn } from './conv-autotune.js';
import { convShader } from './conv.js';
import { probeF16 } from './f16.js';
import { checkWebgpuVariables, webgpuSetting } from './settings.js';
import { applySubmitBatch } from './submit-batch.js';
import { probeSubgroups } from './subgroups.js';

/** Applies the settings in force and returns them; a bad variable is refused here, before any step runs. */
export async function applyWebgpuSettings(): Promise<Record<string, unknown>> {
  checkWebgpuVariables();
  const submitBatch = applySubmitBatch();
  const backboneConvs = backboneConv();
  const convAutotune = convAutotuneOn() ? 'on' : 'off';
  const subgroups =
    webgpuSetting('subgroups') === '0'
      ? 'off (PIPE_WEBGPU_SUBGROUPS=0 or backend_options.webgpu.subgroups: false)'
      : await probeSubgroups();
  const f16 = await probeF16(convShader('forward', 'f16'));
  const kernels = webgpuSetting('kernels') === 'stock' ? 'stock' : 'pipe';
  return { kernels, subgroups, f16, submitBatch, backboneConv: backboneConvs, convAutotune };
}
