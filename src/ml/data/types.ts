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
}
