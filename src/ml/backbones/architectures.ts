// The layer graphs of the pretrained backbones, as flat op lists in torchvision's `features` order. Each op names the
// tensors it needs in the two weight layouts (torchvision state-dict keys; Keras layer names).

export type ArchName = 'vgg16' | 'vgg19' | 'squeezenet1_1' | 'alexnet';

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
}
/** Marks the output of the previous op as a named layer. */
export interface TapOp {
  kind: 'tap';
  name: string;
}
export type Op = ConvOp | FireOp | PoolOp | TapOp;

function vgg(convsPerBlock: number[]): Op[] {
  const ops: Op[] = [];
  let index = 0;
  let cin = 3;
  convsPerBlock.forEach((n, b) => {
    const cout = [64, 128, 256, 512, 512][b]!;
    for (let i = 0; i < n; i++) {
      ops.push({ kind: 'conv', torchKey: `features.${index}`, kerasName: `block${b + 1}_conv${i + 1}`, cin, cout, k: 3, stride: 1, pad: 1 });
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

const fire = (i: number, cin: number, squeeze: number, expand: number): FireOp => ({ kind: 'fire', torchKey: `features.${i}`, cin, squeeze, expand });
const pool3 = (ceil: boolean): PoolOp => ({ kind: 'pool', size: 3, stride: 2, ceil });

export const ARCHITECTURES: Record<ArchName, Op[]> = {
  vgg16: vgg([2, 2, 3, 3, 3]),
  vgg19: vgg([2, 2, 4, 4, 4]),
  // torchvision squeezenet1_1.features; taps as LPIPS slices it (conv1 = features.1, fire3 = features.4, ...).
  squeezenet1_1: [
    { kind: 'conv', torchKey: 'features.0', cin: 3, cout: 64, k: 3, stride: 2, pad: 0 }, { kind: 'tap', name: 'conv1' },
    pool3(true), fire(3, 64, 16, 64), fire(4, 128, 16, 64), { kind: 'tap', name: 'fire3' },
    pool3(true), fire(6, 128, 32, 128), fire(7, 256, 32, 128), { kind: 'tap', name: 'fire5' },
    pool3(true), fire(9, 256, 48, 192), { kind: 'tap', name: 'fire6' },
    fire(10, 384, 48, 192), { kind: 'tap', name: 'fire7' },
    fire(11, 384, 64, 256), { kind: 'tap', name: 'fire8' },
    fire(12, 512, 64, 256), { kind: 'tap', name: 'fire9' },
  ],
  // torchvision alexnet.features; taps as LPIPS slices it.
  alexnet: [
    { kind: 'conv', torchKey: 'features.0', cin: 3, cout: 64, k: 11, stride: 4, pad: 2 }, { kind: 'tap', name: 'relu1' },
    pool3(false), { kind: 'conv', torchKey: 'features.3', cin: 64, cout: 192, k: 5, stride: 1, pad: 2 }, { kind: 'tap', name: 'relu2' },
    pool3(false), { kind: 'conv', torchKey: 'features.6', cin: 192, cout: 384, k: 3, stride: 1, pad: 1 }, { kind: 'tap', name: 'relu3' },
    { kind: 'conv', torchKey: 'features.8', cin: 384, cout: 256, k: 3, stride: 1, pad: 1 }, { kind: 'tap', name: 'relu4' },
    { kind: 'conv', torchKey: 'features.10', cin: 256, cout: 256, k: 3, stride: 1, pad: 1 }, { kind: 'tap', name: 'relu5' },
  ],
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
