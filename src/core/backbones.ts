// Layer names each perceptual/LPIPS backbone exposes, and the weight sets that exist: the one table the compiler
// checks `layers:` against. The engine's architectures (src/ml/backbones/architectures.ts) tap the same names;
// a test there proves they agree.

function vggLayers(convsPerBlock: readonly number[]): string[] {
  return convsPerBlock.flatMap((n, b) => Array.from({ length: n }, (_, i) => `relu${b + 1}_${i + 1}`));
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
} as const satisfies Record<string, readonly string[]>;

export type BackboneName = keyof typeof BACKBONE_LAYERS;

/** Weight sets that exist per backbone (keras ones were converted from Caffe VGGs only). */
export const BACKBONE_WEIGHTS: Record<BackboneName, readonly string[]> = {
  vgg16: ['torchvision', 'keras'],
  vgg19: ['torchvision', 'keras'],
  squeezenet1_1: ['torchvision'],
};
