// Pretrained feature extractors for perceptual losses: `loadBackbone` picks the weight set, reads only the layers
// needed, and converts generator-range input ([-1,1] RGB) to the convention those weights were trained with.
import * as tf from '@tensorflow/tfjs-core';
import { StageUserError } from '../../core/errors.js';
import type { DownloadProgress } from '../io/download.js';
import type { WeightSetId } from '../weights/registry.js';
import { layerNamesOf, type ArchName } from './architectures.js';
import { loadFrozenNet, type FrozenNet } from './net.js';
import { CONVENTION_TEXT, FEATURE_SCALE, toBackboneInput, type InputConvention } from './preprocess.js';

export type BackboneName = ArchName;
export type BackboneWeights = 'torchvision' | 'keras';

export interface LoadBackboneOptions {
  name: BackboneName;
  /** Default 'torchvision'. 'keras' exists for vgg16 and vgg19 (Caffe-converted weights). */
  weights?: BackboneWeights;
  /** Mirror folder (--weights-dir); default env PIPE_WEIGHTS_DIR. */
  weightsDir?: string;
  /** Download cache; default `~/.cache/pipe/weights` (PIPE_DOWNLOAD_DIR). */
  downloadDir?: string;
  /** Layers that will be asked for; nothing past the deepest is loaded or computed. Default: all. */
  layers?: readonly string[];
  /** Use this weights file (any supported format) instead of the registry's. */
  file?: string;
  onProgress?: DownloadProgress;
}

export interface Backbone {
  name: BackboneName;
  weights: BackboneWeights;
  /** Layers this instance computes (through the deepest requested at load). */
  layerNames: readonly string[];
  /** Human-readable input convention of the weights. */
  inputConvention: string;
  /** Multiply features by this to put them on the torchvision input scale (1 for torchvision weights). */
  featureScale: number;
  /** x: NHWC RGB in [-1,1]. Returns the requested layers (default: those given at load). Gradients flow to x. */
  features(x: tf.Tensor4D, layers?: readonly string[]): Record<string, tf.Tensor4D>;
  source: FrozenNet['source'];
  dispose(): void;
}

export const BACKBONE_LAYER_NAMES: Record<BackboneName, readonly string[]> = {
  vgg16: layerNamesOf('vgg16'),
  vgg19: layerNamesOf('vgg19'),
  squeezenet1_1: layerNamesOf('squeezenet1_1'),
  alexnet: layerNamesOf('alexnet'),
  resnet50: layerNamesOf('resnet50'),
  mobilenet_v2: layerNamesOf('mobilenet_v2'),
  convnext_tiny: layerNamesOf('convnext_tiny'),
};

export async function loadBackbone(opts: LoadBackboneOptions): Promise<Backbone> {
  const weights = opts.weights ?? 'torchvision';
  if (!(opts.name in BACKBONE_LAYER_NAMES))
    throw new StageUserError(
      'PIPE_BACKBONE_UNKNOWN',
      `Unknown backbone "${opts.name}"; known: ${Object.keys(BACKBONE_LAYER_NAMES).join(', ')}.`,
    );
  if (weights === 'keras' && opts.name !== 'vgg16' && opts.name !== 'vgg19')
    throw new StageUserError(
      'PIPE_BACKBONE_WEIGHTS',
      `Keras weights exist only for vgg16 and vgg19, not ${opts.name}; use weights: torchvision.`,
    );
  const layout = weights === 'keras' ? 'keras' : 'torch';
  const convention: InputConvention = weights === 'keras' ? 'caffe' : 'torchvision';
  const net = await loadFrozenNet({
    arch: opts.name,
    layout,
    weightSet: `${opts.name}-${weights}` as WeightSetId,
    file: opts.file,
    layers: opts.layers,
    weightsDir: opts.weightsDir,
    downloadDir: opts.downloadDir,
    onProgress: opts.onProgress,
  });
  const defaultLayers = opts.layers?.length ? [...opts.layers] : net.layerNames;
  return {
    name: opts.name,
    weights,
    layerNames: net.layerNames,
    inputConvention: CONVENTION_TEXT[convention],
    featureScale: FEATURE_SCALE[convention],
    source: net.source,
    features(x, layers = defaultLayers) {
      return tf.tidy(() => net.run(toBackboneInput(x, convention), layers));
    },
    dispose: () => net.dispose(),
  };
}

export { loadFrozenNet, type FrozenNet } from './net.js';
export { toBackboneInput, CONVENTION_TEXT, FEATURE_SCALE, type InputConvention } from './preprocess.js';
export { layerNamesOf } from './architectures.js';
