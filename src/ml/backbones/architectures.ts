// The layer graphs of the pretrained backbones, as flat op lists in torchvision's `features` order. Each op names the
// tensors it needs in the two weight layouts (torchvision state-dict keys; Keras layer names).

export type ArchName = 'vgg16' | 'vgg19' | 'squeezenet1_1' | 'alexnet' | 'resnet50' | 'mobilenet_v2' | 'convnext_tiny';

export interface ConvOp {
  kind: 'conv';
  /** torchvision key prefix, e.g. `features.0` (weight OIHW, bias). */
  torchKey: string;
  /** Keras layer name, e.g. `block1_conv1` (kernel HWIO, bias); absent for nets Keras never shipped. */
  kerasName?: string;
  cin: number;
  cout: number;
  k: number;
  stride: number;
  pad: number;
}
export interface FireOp {
  kind: 'fire';
  torchKey: string;
  cin: number;
  squeeze: number;
  expand: number;
}
export interface PoolOp {
  kind: 'pool';
  size: number;
  stride: number;
  ceil: boolean;
  /** Padding per side, filled with -inf as PyTorch does (ResNet's stem pool pads 1). Default 0. */
  pad?: number;
}
/** Convolution without bias followed by an eval-mode BatchNorm (running statistics) and an optional activation. */
export interface ConvBnOp {
  kind: 'convbn';
  /** State-dict prefix of the conv (`.weight`) and of the BatchNorm (`.weight`, `.bias`, `.running_mean`, `.running_var`). */
  conv: string;
  bn: string;
  cin: number;
  cout: number;
  k: number;
  stride: number;
  pad: number;
  /** groups == cin == cout (MobileNetV2's 3x3 convs). */
  depthwise?: boolean;
  act: 'relu' | 'relu6' | 'none';
}
/** torchvision ResNet Bottleneck (v1.5: the stride sits on the 3x3 conv): 1x1 -> 3x3 -> 1x1 (x4) plus the shortcut. */
export interface BottleneckOp {
  kind: 'bottleneck';
  torchKey: string;
  cin: number;
  width: number;
  cout: number;
  stride: number;
  /** A 1x1 conv + BN on the shortcut (first block of each stage). */
  downsample: boolean;
}
/** torchvision MobileNetV2 InvertedResidual: [1x1 expand] -> 3x3 depthwise -> 1x1 linear, residual when shapes agree. */
export interface InvertedResidualOp {
  kind: 'invres';
  torchKey: string;
  cin: number;
  hidden: number;
  cout: number;
  stride: number;
}
/** Marks the output of the previous op as a named layer. */
export interface TapOp {
  kind: 'tap';
  name: string;
}
/** ConvNeXt patchify/downsample: a k x k stride-k conv (with bias) and a channels LayerNorm (eps 1e-6), in `order`. */
export interface ConvLayerNormOp {
  kind: 'convln';
  order: 'conv-ln' | 'ln-conv';
  conv: string;
  ln: string;
  cin: number;
  cout: number;
  k: number;
}
/** torchvision CNBlock: 7x7 depthwise -> LayerNorm -> Linear 4x -> GELU -> Linear -> layer scale, plus the input. */
export interface ConvNextBlockOp {
  kind: 'cnblock';
  torchKey: string;
  dim: number;
}
export type Op =
  ConvOp | FireOp | PoolOp | TapOp | ConvBnOp | BottleneckOp | InvertedResidualOp | ConvLayerNormOp | ConvNextBlockOp;

function vgg(convsPerBlock: number[]): Op[] {
  const ops: Op[] = [];
  let index = 0;
  let cin = 3;
  convsPerBlock.forEach((n, b) => {
    const cout = [64, 128, 256, 512, 512][b]!;
    for (let i = 0; i < n; i++) {
      ops.push({
        kind: 'conv',
        torchKey: `features.${index}`,
        kerasName: `block${b + 1}_conv${i + 1}`,
        cin,
        cout,
        k: 3,
        stride: 1,
        pad: 1,
      });
      ops.push({ kind: 'tap', name: `relu${b + 1}_${i + 1}` });
      cin = cout;
      index += 2; // conv, relu
    }
    ops.push({ kind: 'pool', size: 2, stride: 2, ceil: false });
    index += 1;
  });
  ops.pop(); // the last pool feeds only the classifier
  return ops;
}

const fire = (i: number, cin: number, squeeze: number, expand: number): FireOp => ({
  kind: 'fire',
  torchKey: `features.${i}`,
  cin,
  squeeze,
  expand,
});
const pool3 = (ceil: boolean): PoolOp => ({ kind: 'pool', size: 3, stride: 2, ceil });

/**
 * torchvision resnet50. Taps: `conv1` (after bn1 + ReLU), `maxpool`, `layerK[i]` = output of block i of stage K
 * (the article's `layer3[1]`), and `layerK` = the stage's output (its last block).
 */
function resnet50(): Op[] {
  const ops: Op[] = [
    { kind: 'convbn', conv: 'conv1', bn: 'bn1', cin: 3, cout: 64, k: 7, stride: 2, pad: 3, act: 'relu' },
    { kind: 'tap', name: 'conv1' },
    { kind: 'pool', size: 3, stride: 2, ceil: false, pad: 1 },
    { kind: 'tap', name: 'maxpool' },
  ];
  let cin = 64;
  [3, 4, 6, 3].forEach((blocks, s) => {
    const width = 64 << s;
    for (let i = 0; i < blocks; i++) {
      const stride = i === 0 && s > 0 ? 2 : 1;
      ops.push({
        kind: 'bottleneck',
        torchKey: `layer${s + 1}.${i}`,
        cin,
        width,
        cout: width * 4,
        stride,
        downsample: i === 0,
      });
      ops.push({ kind: 'tap', name: `layer${s + 1}[${i}]` });
      cin = width * 4;
    }
    ops.push({ kind: 'tap', name: `layer${s + 1}` });
  });
  return ops;
}

/** torchvision mobilenet_v2 (width 1.0). Taps: `features.N` = output of features[N] (the article's conv_13 = features.13). */
function mobilenetV2(): Op[] {
  const cbr = (i: number, cin: number, cout: number, k: number, stride: number): ConvBnOp => ({
    kind: 'convbn',
    conv: `features.${i}.0`,
    bn: `features.${i}.1`,
    cin,
    cout,
    k,
    stride,
    pad: (k - 1) / 2,
    act: 'relu6',
  });
  const ops: Op[] = [cbr(0, 3, 32, 3, 2), { kind: 'tap', name: 'features.0' }];
  // (expand ratio t, channels c, repeats n, first stride s), torchvision's inverted_residual_setting.
  const setting = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
  ];
  let cin = 32;
  let index = 1;
  for (const [t, c, n, s] of setting as [number, number, number, number][]) {
    for (let i = 0; i < n; i++) {
      ops.push({
        kind: 'invres',
        torchKey: `features.${index}`,
        cin,
        hidden: cin * t,
        cout: c,
        stride: i === 0 ? s : 1,
      });
      ops.push({ kind: 'tap', name: `features.${index}` });
      cin = c;
      index++;
    }
  }
  ops.push(cbr(index, cin, 1280, 1, 1), { kind: 'tap', name: `features.${index}` });
  return ops;
}

/** torchvision convnext_tiny. Taps: `features.N` = output of features[N]: stem 0, stages 1/3/5/7, downsamples 2/4/6. */
function convnextTiny(): Op[] {
  const dims = [96, 192, 384, 768];
  const ops: Op[] = [
    { kind: 'convln', order: 'conv-ln', conv: 'features.0.0', ln: 'features.0.1', cin: 3, cout: 96, k: 4 },
    { kind: 'tap', name: 'features.0' },
  ];
  [3, 3, 9, 3].forEach((depth, s) => {
    const i = 2 * s + 1;
    if (s > 0) {
      const [ln, conv] = [`features.${i - 1}.0`, `features.${i - 1}.1`];
      ops.push({ kind: 'convln', order: 'ln-conv', ln, conv, cin: dims[s - 1]!, cout: dims[s]!, k: 2 });
      ops.push({ kind: 'tap', name: `features.${i - 1}` });
    }
    for (let b = 0; b < depth; b++) ops.push({ kind: 'cnblock', torchKey: `features.${i}.${b}`, dim: dims[s]! });
    ops.push({ kind: 'tap', name: `features.${i}` });
  });
  return ops;
}

export const ARCHITECTURES: Record<ArchName, Op[]> = {
  vgg16: vgg([2, 2, 3, 3, 3]),
  vgg19: vgg([2, 2, 4, 4, 4]),
  // torchvision squeezenet1_1.features; taps as LPIPS slices it (conv1 = features.1, fire3 = features.4, ...).
  squeezenet1_1: [
    { kind: 'conv', torchKey: 'features.0', cin: 3, cout: 64, k: 3, stride: 2, pad: 0 },
    { kind: 'tap', name: 'conv1' },
    pool3(true),
    fire(3, 64, 16, 64),
    fire(4, 128, 16, 64),
    { kind: 'tap', name: 'fire3' },
    pool3(true),
    fire(6, 128, 32, 128),
    fire(7, 256, 32, 128),
    { kind: 'tap', name: 'fire5' },
    pool3(true),
    fire(9, 256, 48, 192),
    { kind: 'tap', name: 'fire6' },
    fire(10, 384, 48, 192),
    { kind: 'tap', name: 'fire7' },
    fire(11, 384, 64, 256),
    { kind: 'tap', name: 'fire8' },
    fire(12, 512, 64, 256),
    { kind: 'tap', name: 'fire9' },
  ],
  // torchvision alexnet.features; taps as LPIPS slices it.
  alexnet: [
    { kind: 'conv', torchKey: 'features.0', cin: 3, cout: 64, k: 11, stride: 4, pad: 2 },
    { kind: 'tap', name: 'relu1' },
    pool3(false),
    { kind: 'conv', torchKey: 'features.3', cin: 64, cout: 192, k: 5, stride: 1, pad: 2 },
    { kind: 'tap', name: 'relu2' },
    pool3(false),
    { kind: 'conv', torchKey: 'features.6', cin: 192, cout: 384, k: 3, stride: 1, pad: 1 },
    { kind: 'tap', name: 'relu3' },
    { kind: 'conv', torchKey: 'features.8', cin: 384, cout: 256, k: 3, stride: 1, pad: 1 },
    { kind: 'tap', name: 'relu4' },
    { kind: 'conv', torchKey: 'features.10', cin: 256, cout: 256, k: 3, stride: 1, pad: 1 },
    { kind: 'tap', name: 'relu5' },
  ],
  resnet50: resnet50(),
  mobilenet_v2: mobilenetV2(),
  convnext_tiny: convnextTiny(),
};

export function layerNamesOf(arch: ArchName): string[] {
  return ARCHITECTURES[arch].flatMap((op) => (op.kind === 'tap' ? [op.name] : []));
}

/** The ops needed to compute `layers` (through the deepest one). */
export function opsThrough(arch: ArchName, layers: readonly string[]): Op[] {
  const ops = ARCHITECTURES[arch];
  const names = layerNamesOf(arch);
  const unknown = layers.filter((l) => !names.includes(l));
  if (unknown.length) throw new Error(`${arch} has no layer ${unknown.join(', ')} (layers: ${names.join(', ')})`);
  let last = -1;
  ops.forEach((op, i) => {
    if (op.kind === 'tap' && layers.includes(op.name)) last = i;
  });
  return ops.slice(0, last + 1);
}
