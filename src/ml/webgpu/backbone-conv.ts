// Which kernels run a pretrained backbone's convolutions on webgpu (VGG for the perceptual loss, SqueezeNet and VGG
// for LPIPS): tfjs's stock Conv2DMMProgram, as before, or pipe's implicit GEMM (conv.ts), which also takes f16 tiles
// in forward passes (PIPE_WEBGPU_F16=1). They hold most of a perceptual step's FLOPs (VGG19 through relu3_3 on the
// fake and the real image, and its input gradient). On lavapipe the stock kernel is the faster for their stride-1
// 3x3 products (docs/gpu.md, "Conv kernels"), and no GPU has decided yet, so stock stays the default and
// PIPE_WEBGPU_BACKBONE_CONV=pipe asks for pipe's; bench:gpu times the perceptual config both ways.
import { webgpuSetting } from './settings.js';

export type BackboneConv = 'stock' | 'pipe';

/** The setting in force: PIPE_WEBGPU_BACKBONE_CONV, else backend_options.webgpu.backbone_conv, else `stock`. */
export function backboneConv(env: NodeJS.ProcessEnv = process.env): BackboneConv {
  return webgpuSetting('backbone_conv', env) === 'pipe' ? 'pipe' : 'stock';
}
