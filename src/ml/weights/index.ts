export { WEIGHT_SETS, type WeightSet, type WeightSetId } from './registry.js';
export {
  locateWeights,
  resolveDownloadDir,
  resolveWeightsDir,
  type LocateOptions,
  type LocatedWeights,
} from './locate.js';
export { formatOfPath, loadWeightSet, readWeightsFile, takeTensors, type LoadedWeights } from './load.js';
export { WeightsError } from './errors.js';
export type { NamedArray, WeightFormat, WeightMap } from './types.js';
