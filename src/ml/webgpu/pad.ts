// ReflectionPad2d on webgpu: forward one gather dispatch; backward one dispatch where each input element adds the
// (up to 2x2) padded positions that copied it. Stock tfjs needs MirrorPad forward and ~12 slices, reverses, pads and
// AddNs backward per pad.
import * as tf from '@tensorflow/tfjs-core';
import { runKernel, strideGrid, type Uniform } from './kernel.js';

const HEAD = `
struct U { n: u32, h: i32, w: i32, c: i32, top: i32, left: i32, hp: i32, wp: i32 }
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<uniform> u: U;`;

const FORWARD = `${HEAD}
fn reflect(p: i32, len: i32) -> i32 {
  var q = abs(p);
  if (q >= len) { q = 2 * (len - 1) - q; }
  return q;
}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = gid.x; i < u.n; i += nw.x * 64u) {
    let c = i32(i) % u.c; let t = i32(i) / u.c; let px = t % u.wp; let t2 = t / u.wp; let py = t2 % u.hp; let b = t2 / u.hp;
    let y = reflect(py - u.top, u.h); let x = reflect(px - u.left, u.w);
    out[i] = src[((b * u.h + y) * u.w + x) * u.c + c];
  }
}`;

/** Padded positions along one axis that copied input index i: i+before, its reflection above, its reflection below. */
const BACKWARD = `${HEAD}
fn sources(i: i32, len: i32, before: i32, padded: i32) -> vec3<i32> {
  var s = vec3<i32>(i + before, -1, -1);
  if (i >= 1 && i <= before) { s.y = before - i; }
  let below = before + 2 * (len - 1) - i;
  if (i <= len - 2 && below < padded) { s.z = below; }
  return s;
}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = gid.x; i < u.n; i += nw.x * 64u) {
    let c = i32(i) % u.c; let t = i32(i) / u.c; let x = t % u.w; let t2 = t / u.w; let y = t2 % u.h; let b = t2 / u.h;
    let rows = sources(y, u.h, u.top, u.hp);
    let cols = sources(x, u.w, u.left, u.wp);
    var s = 0.0;
    for (var a = 0; a < 3; a++) {
      if (rows[a] < 0) { continue; }
      for (var d = 0; d < 3; d++) {
        if (cols[d] < 0) { continue; }
        s += src[((b * u.hp + rows[a]) * u.wp + cols[d]) * u.c + c];
      }
    }
    out[i] = s;
  }
}`;

function uniforms(size: number, shape: number[], top: number, left: number, hp: number, wp: number): Uniform[] {
  const [, h, w, c] = shape as [number, number, number, number];
  return [
    { type: 'uint32', value: size },
    ...[h, w, c, top, left, hp, wp].map((value): Uniform => ({ type: 'int32', value })),
  ];
}

/** Reflection-padded x with its gradient; pads already validated by ops/reflection_pad.ts. */
export function reflectionPadWebgpu(
  x: tf.Tensor4D,
  top: number,
  bottom: number,
  left: number,
  right: number,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const hp = h + top + bottom;
  const wp = w + left + right;
  const padded = [n, hp, wp, c];
  const op = tf.customGrad((xIn) => {
    const size = n * hp * wp * c;
    const [y] = runKernel({
      name: 'PipeReflectPad',
      wgsl: FORWARD,
      inputs: [xIn as tf.Tensor],
      outputShapes: [padded],
      uniforms: uniforms(size, x.shape, top, left, hp, wp),
      workgroups: strideGrid(size, 64),
    });
    return {
      value: y as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor4D) => {
        const n2 = x.size;
        const [dx] = runKernel({
          name: 'PipeReflectPadGrad',
          wgsl: BACKWARD,
          inputs: [dy],
          outputShapes: [x.shape],
          uniforms: uniforms(n2, x.shape, top, left, hp, wp),
          workgroups: strideGrid(n2, 64),
        });
        return dx as tf.Tensor4D;
      },
    };
  });
  return op(x) as tf.Tensor4D;
}
