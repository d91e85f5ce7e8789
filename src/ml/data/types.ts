// The decoded, ready-to-train dataset the `dataset` stage publishes and `train`/`evaluate` read.
// Images are uint8 RGB, HWC, square; A is always the model input domain and B the target domain
// (the dataset stage has already applied `direction`).

export interface PreparedImages {
  /** Number of images. */
  count: number;
  /** Source file names (without directories), in order. */
  names: string[];
  /** Side length in pixels (load_size for the training split, crop_size for the evaluation split). */
  size: number;
  /** Image i as size*size*3 bytes (RGB, row-major HWC). */
  get(i: number): Uint8Array;
}

export interface PreparedSplit {
  /** aligned: A[i] pairs with B[i]; unaligned: independent lists (counts may differ). */
  A: PreparedImages;
  B: PreparedImages;
}

export interface PreparedDataset {
  layout: 'aligned' | 'unaligned';
  /** Split name -> images; holds the training split and the evaluation split. */
  splits: Record<string, PreparedSplit>;
  /** sha256 of the source images, recorded for provenance. */
  sourceDigest: string;
  // Added by the dataset stage (additive): direct access that works even when train_split == eval_split.
  /** Name of the training split (dataset.train_split). */
  trainSplit: string;
  /** Name of the evaluation split (evaluate.split). */
  evalSplit: string;
  /** The training split, size load_size: crop it with sampleBatch/samplePairBatch. */
  train: PreparedSplit;
  /** The evaluation split, size crop_size: feed it whole with toTensor. */
  eval: PreparedSplit;
  /** `direction` already applied: A is the model input. Recorded for provenance. */
  direction: 'AtoB' | 'BtoA';
  loadSize: number;
  cropSize: number;
}
