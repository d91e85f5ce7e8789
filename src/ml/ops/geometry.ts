// Convolution geometry with every padding mode resolved to explicit per-side amounts, so that the forward conv and
// both gradient convs agree on exactly which input rows/cols each output touches.

/** 'same' and 'valid' as in tf.conv2d; a number pads every side by that much (PyTorch `padding=`); or explicit NHWC. */
export type Padding =
  'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kh: number;
  kw: number;
  stride: number;
  dilation: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
}

function samePads(size: number, effK: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + effK - size);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/**
 * Geometry of a conv from input [N,H,W,C] with a kh x kw filter mapping C -> outC. Output sizes round down as in
 * tf.conv2d and torch.nn.Conv2d: trailing input rows a stride cannot reach are not used.
 */
export function convGeometry(
  xShape: readonly number[],
  filterShape: readonly number[],
  stride: number,
  pad: Padding,
  dilation: number,
  op: string,
): ConvGeometry {
  if (xShape.length !== 4) throw new Error(`${op}: input must be rank 4 (NHWC), got shape [${xShape.join(', ')}]`);
  if (filterShape.length !== 4) throw new Error(`${op}: filter must be rank 4, got shape [${filterShape.join(', ')}]`);
  if (!Number.isInteger(stride) || stride < 1)
    throw new Error(`${op}: stride must be a positive integer, got ${stride}`);
  if (!Number.isInteger(dilation) || dilation < 1)
    throw new Error(`${op}: dilation must be a positive integer, got ${dilation}`);
  if (stride > 1 && dilation > 1)
    throw new Error(`${op}: stride and dilation cannot both be > 1 (got ${stride}, ${dilation})`);
  const [batch, inH, inW, inC] = xShape;
  const [kh, kw, fInC, outC] = filterShape;
  if (fInC !== inC)
    throw new Error(
      `${op}: input has ${inC} channels but the filter expects ${fInC} (filter shape [${filterShape.join(', ')}])`,
    );
  const effH = (kh - 1) * dilation + 1;
  const effW = (kw - 1) * dilation + 1;
  let padTop: number, padBottom: number, padLeft: number, padRight: number;
  if (pad === 'same') {
    [padTop, padBottom] = samePads(inH, effH, stride);
    [padLeft, padRight] = samePads(inW, effW, stride);
  } else if (pad === 'valid') {
    padTop = padBottom = padLeft = padRight = 0;
  } else if (typeof pad === 'number') {
    if (!Number.isInteger(pad) || pad < 0)
      throw new Error(`${op}: numeric padding must be a non-negative integer, got ${pad}`);
    padTop = padBottom = padLeft = padRight = pad;
  } else {
    [[,], [padTop, padBottom], [padLeft, padRight]] = pad;
    if ([padTop, padBottom, padLeft, padRight].some((p) => !Number.isInteger(p) || p < 0)) {
      throw new Error(`${op}: explicit padding must be non-negative integers, got ${JSON.stringify(pad)}`);
    }
  }
  const outH = Math.floor((inH + padTop + padBottom - effH) / stride) + 1;
  const outW = Math.floor((inW + padLeft + padRight - effW) / stride) + 1;
  if (outH < 1 || outW < 1) {
    throw new Error(`${op}: a ${kh}x${kw} filter (dilation ${dilation}) does not fit the padded ${inH}x${inW} input`);
  }
  return { batch, inH, inW, inC, outH, outW, outC, kh, kw, stride, dilation, padTop, padBottom, padLeft, padRight };
}

/** Output spatial size of a (possibly ceil-mode) pooling window, PyTorch's rule: the last window must start inside. */
export function poolOutSize(
  size: number,
  k: number,
  stride: number,
  padBefore: number,
  padAfter: number,
  ceil: boolean,
): number {
  const span = size + padBefore + padAfter - k;
  if (span < 0) throw new Error(`maxPool: window ${k} does not fit input size ${size}`);
  let out = (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  if (ceil && (out - 1) * stride >= size + padBefore) out -= 1;
  return out;
}
