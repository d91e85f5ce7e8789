// Layer names each perceptual/LPIPS backbone exposes, and the weight sets that exist: the one table the compiler
// checks `layers:` against. The engine's architectures (src/ml/backbones/architectures.ts) tap the same names;
// a test there proves they agree.

function vggLayers(convsPerBlock: readonly number[]): string[] {
  return convsPerBlock.flatMap((n, b) => Array.from({ length: n }, (_, i) => `relu${b + 1}_${i + 1}`));
}

/** conv1, maxpool, then per stage K each block `layerK[i]` and the stage output `layerK` (= its last block). */
function resnetLayers(blocks: readonly number[]): string[] {
  const stage = (n: number, s: number) => [
    ...Array.from({ length: n }, (_, i) => `layer${s + 1}[${i}]`),
    `layer${s + 1}`,
  ];
  return ['conv1', 'maxpool', ...blocks.flatMap(stage)];
}

export const BACKBONE_LAYERS = {
  /** After each ReLU of VGG16's 13 convs (torchvision features 1, 3, 6, 8, 11, 13, 15, 18, 20, 22, 25, 27, 29). */
  vgg16: vggLayers([2, 2, 3, 3, 3]),
  /** After each ReLU of VGG19's 16 convs. */
  vgg19: vggLayers([2, 2, 4, 4, 4]),
  /**
   * The 7 taps LPIPS uses on torchvision squeezenet1_1: conv1 = ReLU after the first conv
   * (features.1); fireN = output of Fire module N (fire3 = features.4, fire5 = features.7,
   * fire6..fire9 = features.9..12). Channels 64, 128, 256, 384, 384, 512, 512.
   */
  squeezenet1_1: ['conv1', 'fire3', 'fire5', 'fire6', 'fire7', 'fire8', 'fire9'],
  /**
   * torchvision resnet50: conv1 (after bn1 + ReLU, 64 ch, /2), maxpool (/4), layerK[i] = output of block i of stage K
   * (the article's layer3[1]: 1024 ch, /16), layerK = the stage's output. Channels 256, 512, 1024, 2048.
   */
  resnet50: resnetLayers([3, 4, 6, 3]),
  /** torchvision mobilenet_v2: features.N = output of features[N], N = 0..18 (the article's conv_13 = features.13, 96 ch, /16). */
  mobilenet_v2: Array.from({ length: 19 }, (_, i) => `features.${i}`),
  /**
   * torchvision convnext_tiny: features.N = output of features[N]: features.0 the 4x4 patchify stem (96 ch, /4),
   * features.1/3/5/7 the four stages (96, 192, 384, 768 ch at /4, /8, /16, /32), features.2/4/6 the downsamples.
   */
  convnext_tiny: Array.from({ length: 8 }, (_, i) => `features.${i}`),
} as const satisfies Record<string, readonly string[]>;

export type BackboneName = keyof typeof BACKBONE_LAYERS;

/** Weight sets that exist per backbone (keras ones were converted from Caffe VGGs only). */
export const BACKBONE_WEIGHTS: Record<BackboneName, readonly string[]> = {
  vgg16: ['torchvision', 'keras'],
  vgg19: ['torchvision', 'keras'],
  squeezenet1_1: ['torchvision'],
  resnet50: ['torchvision'],
  mobilenet_v2: ['torchvision'],
  convnext_tiny: ['torchvision'],
};
