// torch.optim.Adam over every parameter of an optimiser in one dispatch per flat segment on webgpu (one segment
// unless the parameters outgrow a storage binding), instead of one dispatch per parameter. The moments live only in
// flat buffers; the parameters are mirrored in a flat buffer too. Per step: the gradients are copied in
// (copyBufferToBuffer, one per parameter), one in-place dispatch per segment updates p, m and v, and each parameter
// gets fresh storage copied out of the flat p. Nothing but the flat buffers is written in place.
//
// Changes made elsewhere are picked up by storage identity (dataId): a parameter assigned since the last step (a
// restored checkpoint, init_from) is copied in again, and so are moments assigned through moments() (restore).
import * as tf from '@tensorflow/tfjs-core';
import type { VariableMap } from '../models/params.js';
import { adamStepFlatWebgpu, type AdamArgs } from './adam.js';
import { freshTensor, gatherInto, sliceOut } from './copies.js';
import { planFlatLayout, segmentCapacity, type FlatLayout, type Slot } from './flat-layout.js';
import { webgpuBackend } from './kernel.js';

interface Segment {
  p: tf.Tensor;
  m: tf.Tensor;
  v: tf.Tensor;
  g: tf.Tensor;
  slots: Slot[];
}

interface Exported {
  m: VariableMap;
  v: VariableMap;
  /** Each variable's storage when exported: a different one means it was assigned since. */
  ids: Map<tf.Variable, object>;
}

export class FlatAdam {
  private readonly segments: Segment[];
  /** Each parameter's storage when the flat p last matched it. */
  private readonly mirrored = new Map<string, object>();
  private exported?: Exported;

  private constructor(
    private readonly params: VariableMap,
    layout: FlatLayout,
  ) {
    // Kept: an optimiser made inside tf.tidy must not lose its state at the end of the scope.
    this.segments = layout.segments.map((n, i) => ({
      p: tf.keep(freshTensor([n])),
      m: tf.keep(tf.zeros([n])),
      v: tf.keep(tf.zeros([n])),
      g: tf.keep(freshTensor([n])),
      slots: layout.slots.filter((s) => s.segment === i),
    }));
  }

  /** undefined where the fused step does not apply (a non-float32 parameter, one too large for a binding, none). */
  static create(params: VariableMap, capacity = segmentCapacity(webgpuBackend().device.limits)): FlatAdam | undefined {
    const list = Object.entries(params).map(([name, p]) => ({ name, shape: p.shape, dtype: p.dtype }));
    if (!list.length || list.some((p) => p.dtype !== 'float32')) return undefined;
    const layout = planFlatLayout(list, capacity);
    if (!layout || layout.segments.some((n) => n === 0)) return undefined;
    return new FlatAdam(params, layout);
  }

  /** Number of dispatches (flat segments) per step. */
  get dispatchesPerStep(): number {
    return this.segments.length;
  }

  /** Whether `grads` holds a float32 gradient of the right size for every parameter (no partial steps here). */
  covers(grads: Record<string, tf.Tensor>): boolean {
    return this.segments.every((s) =>
      s.slots.every((slot) => grads[slot.name]?.dtype === 'float32' && grads[slot.name]!.size === slot.size),
    );
  }

  /** One Adam step of every parameter; `grads` must cover them all (see covers). */
  step(grads: Record<string, tf.Tensor>, h: AdamArgs): void {
    this.takeOutsideChanges();
    for (const s of this.segments)
      gatherInto(
        s.g,
        s.slots.map((slot) => ({ src: grads[slot.name]!, offset: slot.offset })),
      );
    for (const s of this.segments) adamStepFlatWebgpu(s.p, s.m, s.v, s.g, h);
    for (const s of this.segments) {
      const fresh = sliceOut(s.p, s.slots);
      s.slots.forEach((slot, i) => {
        const p = this.params[slot.name]!;
        p.assign(fresh[i]!);
        this.mirrored.set(slot.name, p.dataId);
      });
      tf.dispose(fresh);
    }
  }

  /**
   * The moments as one variable per parameter (for checkpoints). Assigning to them (restoring a checkpoint) takes
   * effect at the next step. They stay valid until the next step, which disposes them.
   */
  moments(): { m: VariableMap; v: VariableMap } {
    if (this.exported) return this.exported;
    const out: Exported = { m: {}, v: {}, ids: new Map() };
    for (const s of this.segments) {
      for (const which of ['m', 'v'] as const) {
        const parts = sliceOut(s[which], s.slots);
        s.slots.forEach((slot, i) => {
          const variable = tf.variable(parts[i]!, false);
          out[which][slot.name] = variable;
          out.ids.set(variable, variable.dataId);
        });
        tf.dispose(parts);
      }
    }
    this.exported = out;
    return out;
  }

  /** Hands the exported moments over to the caller (who then owns them) and frees the flat buffers. */
  close(): { m: VariableMap; v: VariableMap } {
    const { m, v } = this.moments();
    this.exported = undefined;
    this.dispose();
    return { m, v };
  }

  dispose(): void {
    for (const s of this.segments) tf.dispose([s.p, s.m, s.v, s.g]);
    this.dropExported();
  }

  /** Copies in the parameters and exported moments whose storage changed since this optimiser last saw them. */
  private takeOutsideChanges(): void {
    const ex = this.exported;
    for (const s of this.segments) {
      const changed = (map: VariableMap) =>
        s.slots
          .filter((slot) => ex!.ids.get(map[slot.name]!) !== map[slot.name]!.dataId)
          .map((slot) => ({ src: map[slot.name]!, offset: slot.offset }));
      gatherInto(
        s.p,
        s.slots
          .filter((slot) => this.mirrored.get(slot.name) !== this.params[slot.name]!.dataId)
          .map((slot) => ({ src: this.params[slot.name]!, offset: slot.offset })),
      );
      if (ex) {
        gatherInto(s.m, changed(ex.m));
        gatherInto(s.v, changed(ex.v));
      }
    }
    this.dropExported();
    for (const [name, p] of Object.entries(this.params)) this.mirrored.set(name, p.dataId);
  }

  private dropExported(): void {
    if (!this.exported) return;
    tf.dispose([...Object.values(this.exported.m), ...Object.values(this.exported.v)]);
    this.exported = undefined;
  }
}
