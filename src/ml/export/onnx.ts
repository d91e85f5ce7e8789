// `pipe export --format onnx`: the generator as an ONNX graph (opset 17) written with onnx-proto (the ONNX
// protobuf schema compiled for protobufjs). Built from the official state dict so the weights are already
// in ONNX's layouts (Conv OIHW, ConvTranspose [in, out, k, k]). Batch norm normalises with the statistics
// of each image, which is what batch statistics are at test.py's batch size 1 (and what `pipe predict`
// does), then applies the layer's scale and shift. No dropout: the graph is deterministic, like
// `pipe predict --no-dropout`.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { onnx } from 'onnx-proto';
import onnxProto from 'onnx-proto';
import type { Direction, InferenceModel } from '../inference/model-source.js';
import { numDownsOf } from '../inference/official-names.js';
import type { NamedArray, WeightMap } from '../weights/types.js';
import { officialName, officialStateDict } from './official-files.js';

// A CommonJS module whose named export Node's ESM loader cannot see: take it from the default export.
const ox = (onnxProto as unknown as { onnx: typeof onnx }).onnx;

export const OPSET = 17;

class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private n = 0;
  private readonly consts = new Map<string, string>();
  constructor(
    private readonly sd: WeightMap,
    private readonly norm: string,
  ) {}

  private weight(key: string): string {
    const t = this.sd.get(key);
    if (!t) throw new Error(`state dict lacks ${key}`);
    return this.tensor(key, t);
  }

  private tensor(name: string, t: NamedArray): string {
    this.initializers.push({
      name,
      dims: t.shape,
      dataType: ox.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
    });
    return name;
  }

  node(op: string, inputs: string[], attrs: onnx.IAttributeProto[] = []): string {
    const out = `${op.toLowerCase()}_${this.n++}`;
    this.nodes.push({ opType: op, input: inputs, output: [out], name: out, attribute: attrs });
    return out;
  }

  conv(x: string, key: string, stride: number, pad: number): string {
    const inputs = [
      x,
      this.weight(`${key}.weight`),
      ...(this.sd.has(`${key}.bias`) ? [this.weight(`${key}.bias`)] : []),
    ];
    return this.node('Conv', inputs, [ints('strides', [stride, stride]), ints('pads', [pad, pad, pad, pad])]);
  }

  convT(x: string, key: string, outPad: number): string {
    const inputs = [
      x,
      this.weight(`${key}.weight`),
      ...(this.sd.has(`${key}.bias`) ? [this.weight(`${key}.bias`)] : []),
    ];
    return this.node('ConvTranspose', inputs, [
      ints('strides', [2, 2]),
      ints('pads', [1, 1, 1, 1]),
      ints('output_padding', [outPad, outPad]),
    ]);
  }

  /**
   * Per-image, per-channel normalisation spelled out as pipe computes it (mean, then the mean of squared
   * deviations, then 1/sqrt), so every runtime evaluates the same two-pass formula rather than its own
   * InstanceNormalization kernel. Batch norm adds its scale and shift, reshaped to broadcast over [N, C, H, W].
   */
  normalise(x: string, key: string, _channels: number): string {
    if (this.norm === 'none') return x;
    const axes = ints('axes', [2, 3]);
    const keep: onnx.IAttributeProto = { name: 'keepdims', type: ox.AttributeProto.AttributeType.INT, i: 1 };
    const d = this.node('Sub', [x, this.node('ReduceMean', [x], [axes, keep])]);
    const variance = this.node('ReduceMean', [this.node('Mul', [d, d])], [axes, keep]);
    const eps = this.scalar('eps', 1e-5);
    const xhat = this.node('Mul', [
      d,
      this.node('Reciprocal', [this.node('Sqrt', [this.node('Add', [variance, eps])])]),
    ]);
    if (this.norm !== 'batch') return xhat;
    const column = (k: string) => {
      const t = this.sd.get(k)!;
      return this.tensor(`${k}.chw`, { shape: [t.shape[0]!, 1, 1], data: t.data });
    };
    return this.node('Add', [this.node('Mul', [xhat, column(`${key}.weight`)]), column(`${key}.bias`)]);
  }

  private scalar(name: string, v: number): string {
    if (!this.consts.has(name)) this.consts.set(name, this.tensor(name, { shape: [], data: Float32Array.of(v) }));
    return this.consts.get(name)!;
  }

  reflectPad(x: string, p: number): string {
    const name = `pads_${p}`;
    if (!this.consts.has(name)) {
      this.initializers.push({
        name,
        dims: [8],
        dataType: ox.TensorProto.DataType.INT64,
        int64Data: [0, 0, p, p, 0, 0, p, p],
      });
      this.consts.set(name, name);
    }
    return this.node(
      'Pad',
      [x, name],
      [{ name: 'mode', type: ox.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode('reflect') }],
    );
  }

  leaky(x: string): string {
    return this.node('LeakyRelu', [x], [{ name: 'alpha', type: ox.AttributeProto.AttributeType.FLOAT, f: 0.2 }]);
  }
}

function ints(name: string, v: number[]): onnx.IAttributeProto {
  return { name, type: ox.AttributeProto.AttributeType.INTS, ints: v };
}

const channelsOf = (sd: WeightMap, key: string, axis: number) => sd.get(`${key}.weight`)!.shape[axis]!;

function unet(g: GraphBuilder, sd: WeightMap, x: string, numDowns: number): string {
  const prefix = (l: number) => (l === 0 ? 'model.model.' : `model.model.1.${'model.3.'.repeat(l - 1)}model.`);
  const block = (l: number, input: string): string => {
    const p = prefix(l);
    if (l === 0) {
      const inner = block(1, g.conv(input, `${p}0`, 2, 1));
      return g.node('Tanh', [g.convT(g.node('Relu', [inner]), `${p}3`, 0)]);
    }
    const act = g.leaky(input);
    if (l === numDowns - 1) {
      const up = g.convT(g.node('Relu', [g.conv(act, `${p}1`, 2, 1)]), `${p}3`, 0);
      return g.node(
        'Concat',
        [act, g.normalise(up, `${p}4`, channelsOf(sd, `${p}3`, 1))],
        [{ name: 'axis', type: ox.AttributeProto.AttributeType.INT, i: 1 }],
      );
    }
    const down = g.normalise(g.conv(act, `${p}1`, 2, 1), `${p}2`, channelsOf(sd, `${p}1`, 0));
    const up = g.convT(g.node('Relu', [block(l + 1, down)]), `${p}5`, 0);
    return g.node(
      'Concat',
      [act, g.normalise(up, `${p}6`, channelsOf(sd, `${p}5`, 1))],
      [{ name: 'axis', type: ox.AttributeProto.AttributeType.INT, i: 1 }],
    );
  };
  return block(0, x);
}

function resnet(g: GraphBuilder, sd: WeightMap, x: string, blocks: number, dropout: boolean): string {
  // conv (or transposed conv), norm, relu; the norm's width is the conv's output channels.
  const stage = (h: string, key: string, normKey: string, transposed: boolean) => {
    const y = transposed ? g.convT(h, key, 1) : g.conv(h, key, key === 'model.1' ? 1 : 2, key === 'model.1' ? 0 : 1);
    return g.node('Relu', [g.normalise(y, normKey, channelsOf(sd, key, transposed ? 1 : 0))]);
  };
  let h = stage(g.reflectPad(x, 3), 'model.1', 'model.2', false);
  for (let i = 0; i < 2; i++) h = stage(h, `model.${4 + 3 * i}`, `model.${5 + 3 * i}`, false);
  const second = dropout ? 6 : 5;
  for (let b = 0; b < blocks; b++) {
    const p = `model.${10 + b}.conv_block`;
    const dim = channelsOf(sd, `${p}.1`, 0);
    const r = g.node('Relu', [g.normalise(g.conv(g.reflectPad(h, 1), `${p}.1`, 1, 0), `${p}.2`, dim)]);
    h = g.node('Add', [h, g.normalise(g.conv(g.reflectPad(r, 1), `${p}.${second}`, 1, 0), `${p}.${second + 1}`, dim)]);
  }
  for (let i = 0; i < 2; i++) h = stage(h, `model.${10 + blocks + 3 * i}`, `model.${11 + blocks + 3 * i}`, true);
  return g.node('Tanh', [g.conv(g.reflectPad(h, 3), `model.${17 + blocks}`, 1, 0)]);
}

function valueInfo(name: string, channels: number): onnx.IValueInfoProto {
  const dims = [{ dimParam: 'N' }, { dimValue: channels }, { dimParam: 'H' }, { dimParam: 'W' }];
  return { name, type: { tensorType: { elemType: ox.TensorProto.DataType.FLOAT, shape: { dim: dims } } } };
}

export async function onnxBytes(model: InferenceModel, d: Direction): Promise<Uint8Array> {
  const sd = await officialStateDict(model, d);
  const g = new GraphBuilder(sd, model.arch.norm);
  const a = model.arch;
  const y = a.generator.startsWith('resnet')
    ? resnet(g, sd, 'input', a.generator === 'resnet_6blocks' ? 6 : 9, a.dropout)
    : unet(g, sd, 'input', numDownsOf(a, model.size));
  g.nodes.push({ opType: 'Identity', input: [y], output: ['output'], name: 'output' });
  const proto = ox.ModelProto.create({
    irVersion: 8,
    producerName: 'pipe',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: `${a.generator}_ngf${a.ngf}_${a.norm}`,
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo('input', 3)],
      output: [valueInfo('output', 3)],
      docString: `NCHW float32 RGB in [-1,1], ${model.size}x${model.size} as trained; normalisation per image.`,
    },
  });
  return ox.ModelProto.encode(proto).finish();
}

export async function writeOnnx(model: InferenceModel, outDir: string): Promise<string[]> {
  const files: string[] = [];
  for (const d of model.directions) {
    const file = path.join(outDir, `${officialName(model, d).replace('latest_net_', '')}.onnx`);
    await fs.writeFile(file, await onnxBytes(model, d));
    files.push(file);
  }
  return files;
}
