// What every weight reader returns: named float32 arrays in the file's own layout (PyTorch OIHW,
// Keras/tfjs HWIO). Backbones convert layouts; readers never guess.

export interface NamedArray {
  shape: number[];
  /** Always float32 in memory (f16/bf16/f64 files are widened or narrowed on read). */
  data: Float32Array;
}

/** Tensor name -> array, in file order. */
export type WeightMap = Map<string, NamedArray>;

export type WeightFormat = 'safetensors' | 'torch' | 'hdf5' | 'tfjs';

export interface ReadOptions {
  /** Only these tensor names are needed; readers that can skip data (tfjs groups, hdf5) read no more. */
  only?: (name: string) => boolean;
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
