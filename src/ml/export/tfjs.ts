// `pipe export --format tfjs`: the generator as a TF.js graph model (model.json + weights.bin) that
// tf.loadGraphModel runs without pipe, plus index.html, a static demo page (pick or drop an image, see the
// output; TF.js scripts copied beside it, no network). NHWC, input [1, S, S, 3] in [-1, 1] (S: the training
// crop; transposed convolutions need a fixed output shape). Normalisation per image, no dropout, as the
// ONNX export; convolutions with explicit PyTorch padding.
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Direction, InferenceModel } from '../inference/model-source.js';
import { numDownsOf } from '../inference/official-names.js';
import type { NamedArray } from '../weights/types.js';
import { demoPage } from './tfjs-page.js';

type Attr = Record<string, unknown>;
interface GraphNode {
  name: string;
  op: string;
  input: string[];
  attr: Attr;
}
interface WeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const ints = (v: number[]) => ({ list: { i: v.map(String) } });
const FLOAT = { type: 'DT_FLOAT' };

class TfGraph {
  readonly nodes: GraphNode[] = [];
  readonly weights: WeightEntry[] = [];
  readonly data: Uint8Array[] = [];
  private n = 0;
  private readonly consts = new Map<string, string>();
  constructor(
    private readonly params: Record<string, NamedArray>,
    private readonly norm: string,
  ) {}

  private constNode(name: string, shape: number[], dtype: 'float32' | 'int32', bytes: Uint8Array): string {
    const tfType = dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32';
    this.nodes.push({
      name,
      op: 'Const',
      input: [],
      attr: {
        value: { tensor: { dtype: tfType, tensorShape: { dim: shape.map((s) => ({ size: String(s) })) } } },
        dtype: { type: tfType },
      },
    });
    this.weights.push({ name, shape, dtype });
    this.data.push(bytes);
    return name;
  }

  param(name: string): string {
    if (this.consts.has(name)) return this.consts.get(name)!;
    const t = this.params[name];
    if (!t) throw new Error(`model lacks parameter ${name}`);
    const node = this.constNode(
      name,
      t.shape,
      'float32',
      new Uint8Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength)),
    );
    this.consts.set(name, node);
    return node;
  }

  intConst(values: number[], shape = [values.length]): string {
    const key = `int:${shape.join('x')}:${values.join(',')}`;
    if (!this.consts.has(key))
      this.consts.set(
        key,
        this.constNode(`const_${this.consts.size}`, shape, 'int32', new Uint8Array(Int32Array.from(values).buffer)),
      );
    return this.consts.get(key)!;
  }

  floatConst(v: number): string {
    const key = `float:${v}`;
    if (!this.consts.has(key))
      this.consts.set(
        key,
        this.constNode(`const_${this.consts.size}`, [], 'float32', new Uint8Array(Float32Array.of(v).buffer)),
      );
    return this.consts.get(key)!;
  }

  node(op: string, input: string[], attr: Attr = {}): string {
    const name = `${op.toLowerCase()}_${this.n++}`;
    this.nodes.push({ name, op, input, attr: { T: FLOAT, ...attr } });
    return name;
  }

  withBias(y: string, name: string): string {
    return this.params[`${name}.bias`] ? this.node('AddV2', [y, this.param(`${name}.bias`)]) : y;
  }

  conv(x: string, name: string, stride: number, pad: number): string {
    const y = this.node('Conv2D', [x, this.param(`${name}.weight`)], {
      strides: ints([1, stride, stride, 1]),
      padding: { s: b64('EXPLICIT') },
      explicit_paddings: ints([0, 0, pad, pad, pad, pad, 0, 0]),
      data_format: { s: b64('NHWC') },
      dilations: ints([1, 1, 1, 1]),
    });
    return this.withBias(y, name);
  }

  convT(x: string, name: string, outShape: number[]): string {
    const y = this.node('Conv2DBackpropInput', [this.intConst(outShape), this.param(`${name}.weight`), x], {
      strides: ints([1, 2, 2, 1]),
      padding: { s: b64('EXPLICIT') },
      explicit_paddings: ints([0, 0, 1, 1, 1, 1, 0, 0]),
      data_format: { s: b64('NHWC') },
    });
    return this.withBias(y, name);
  }

  /** Per-image statistics over H, W (pipe's two-pass formula), then batch norm's scale and shift. */
  normalise(x: string, name: string): string {
    if (this.norm === 'none') return x;
    const axes = this.intConst([1, 2]);
    const d = this.node('Sub', [x, this.node('Mean', [x, axes], { keep_dims: { b: true } })]);
    const variance = this.node('Mean', [this.node('Mul', [d, d]), axes], { keep_dims: { b: true } });
    const xhat = this.node('Mul', [d, this.node('Rsqrt', [this.node('AddV2', [variance, this.floatConst(1e-5)])])]);
    if (this.norm !== 'batch') return xhat;
    return this.node('AddV2', [this.node('Mul', [xhat, this.param(`${name}.weight`)]), this.param(`${name}.bias`)]);
  }

  reflectPad(x: string, p: number): string {
    return this.node('MirrorPad', [x, this.intConst([0, 0, p, p, p, p, 0, 0], [4, 2])], {
      mode: { s: b64('REFLECT') },
    });
  }
}

function unet(g: TfGraph, x: string, numDowns: number, size: number, ngf: number): string {
  const inner = numDowns - 1;
  const width = (l: number) => ngf * Math.min(2 ** l, 8);
  const block = (l: number, input: string, s: number): string => {
    // Output of this level: s x s, with `outC` channels (3 at the outermost).
    const outC = l === 0 ? 3 : width(l - 1);
    if (l === 0) {
      const sub = block(1, g.conv(input, 'down0', 2, 1), s / 2);
      return g.node('Tanh', [g.convT(g.node('Relu', [sub]), 'up0', [1, s, s, outC])]);
    }
    const act = g.node('LeakyRelu', [input], { alpha: { f: 0.2 } });
    let up: string;
    if (l === inner) {
      up = g.convT(g.node('Relu', [g.conv(act, `down${l}`, 2, 1)]), `up${l}`, [1, s, s, outC]);
    } else {
      const down = g.normalise(g.conv(act, `down${l}`, 2, 1), `downnorm${l}`);
      up = g.convT(g.node('Relu', [block(l + 1, down, s / 2)]), `up${l}`, [1, s, s, outC]);
    }
    return g.node('ConcatV2', [act, g.normalise(up, `upnorm${l}`), g.intConst([3], [])], {
      N: { i: '2' },
      Tidx: { type: 'DT_INT32' },
    });
  };
  return block(0, x, size);
}

function resnet(g: TfGraph, x: string, blocks: number, size: number, ngf: number): string {
  let h = g.node('Relu', [g.normalise(g.conv(g.reflectPad(x, 3), 'in', 1, 0), 'in.norm')]);
  for (let i = 0; i < 2; i++) h = g.node('Relu', [g.normalise(g.conv(h, `down${i}`, 2, 1), `down${i}.norm`)]);
  for (let b = 0; b < blocks; b++) {
    const r = g.node('Relu', [g.normalise(g.conv(g.reflectPad(h, 1), `block${b}.conv1`, 1, 0), `block${b}.norm1`)]);
    h = g.node('AddV2', [h, g.normalise(g.conv(g.reflectPad(r, 1), `block${b}.conv2`, 1, 0), `block${b}.norm2`)]);
  }
  for (let i = 0; i < 2; i++) {
    const s = size / 2 ** (1 - i);
    h = g.node('Relu', [g.normalise(g.convT(h, `up${i}`, [1, s, s, ngf * 2 ** (1 - i)]), `up${i}.norm`)]);
  }
  return g.node('Tanh', [g.conv(g.reflectPad(h, 3), 'out', 1, 0)]);
}

export async function graphModel(model: InferenceModel, d: Direction): Promise<{ json: object; bin: Uint8Array }> {
  const params: Record<string, NamedArray> = {};
  for (const [k, t] of Object.entries(model.params(d)))
    params[k] = { shape: t.shape, data: (await t.data()) as Float32Array };
  const g = new TfGraph(params, model.arch.norm);
  const s = model.size;
  g.nodes.push({
    name: 'input',
    op: 'Placeholder',
    input: [],
    attr: { dtype: FLOAT, shape: { shape: { dim: [1, s, s, 3].map((v) => ({ size: String(v) })) } } },
  });
  const a = model.arch;
  const y = a.generator.startsWith('resnet')
    ? resnet(g, 'input', a.generator === 'resnet_6blocks' ? 6 : 9, s, a.ngf)
    : unet(g, 'input', numDownsOf(a, s), s, a.ngf);
  g.nodes.push({ name: 'output', op: 'Identity', input: [y], attr: { T: FLOAT } });
  const bin = new Uint8Array(g.data.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const b of g.data) {
    bin.set(b, at);
    at += b.byteLength;
  }
  const json = {
    format: 'graph-model',
    generatedBy: 'pipe',
    convertedBy: 'pipe export --format tfjs',
    modelTopology: { node: g.nodes, library: {}, versions: { producer: 1 } },
    userDefinedMetadata: { size: s, generator: a.generator, input: 'NHWC [1,S,S,3] RGB in [-1,1]' },
    weightsManifest: [{ paths: ['weights.bin'], weights: g.weights }],
  };
  return { json, bin };
}

const SCRIPTS = [
  ['@tensorflow/tfjs-core/dist/tf-core.min.js', 'tf-core.min.js'],
  ['@tensorflow/tfjs-backend-cpu/dist/tf-backend-cpu.min.js', 'tf-backend-cpu.min.js'],
  ['@tensorflow/tfjs-converter/dist/tf-converter.min.js', 'tf-converter.min.js'],
] as const;

export async function writeTfjs(model: InferenceModel, outDir: string): Promise<string[]> {
  const require = createRequire(import.meta.url);
  const files: string[] = [];
  for (const d of model.directions) {
    const dir = model.directions.length === 1 ? outDir : path.join(outDir, d);
    await fs.mkdir(dir, { recursive: true });
    const { json, bin } = await graphModel(model, d);
    await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
    await fs.writeFile(path.join(dir, 'weights.bin'), bin);
    for (const [from, to] of SCRIPTS) await fs.copyFile(require.resolve(from), path.join(dir, to));
    await fs.writeFile(
      path.join(dir, 'index.html'),
      demoPage(
        model.size,
        SCRIPTS.map(([, to]) => to),
      ),
    );
    files.push(path.join(dir, 'model.json'));
  }
  return files;
}
