// Named datasets: the official pix2pix / CycleGAN archives (Isola et al. 2017; Zhu et al. 2017) as
// pytorch-CycleGAN-and-pix2pix's download scripts fetch them. The authors publish no checksums; where a
// digest is unknown the archive is taken as downloaded, and files are checked against a SHA256SUMS
// beside them when one exists (the shared mirror has one per dataset).

export interface DatasetEntry {
  name: string;
  layout: 'aligned' | 'unaligned';
  url: string;
  /** sha256 of the archive, when known. */
  sha256?: string;
  /** Folder the archive unpacks to (holds the split folders). */
  folder: string;
  /** Split folders the official archive has: aligned `train`, `val`, `test`; unaligned `trainA`, ... */
  splits: string[];
  /** The direction the upstream repo trains with, for messages and docs. */
  usualDirection: 'AtoB' | 'BtoA';
  description: string;
}

const PIX2PIX = 'http://efrosgans.eecs.berkeley.edu/pix2pix/datasets';
const CYCLEGAN = 'https://efrosgans.eecs.berkeley.edu/cyclegan/datasets';

function pix2pix(name: string, splits: string[], usualDirection: 'AtoB' | 'BtoA', description: string): DatasetEntry {
  return {
    name,
    layout: 'aligned',
    url: `${PIX2PIX}/${name}.tar.gz`,
    folder: name,
    splits,
    usualDirection,
    description,
  };
}

function cyclegan(name: string, description: string): DatasetEntry {
  return {
    name,
    layout: 'unaligned',
    url: `${CYCLEGAN}/${name}.zip`,
    folder: name,
    splits: ['trainA', 'trainB', 'testA', 'testB'],
    usualDirection: 'AtoB',
    description,
  };
}

export const DATASETS: Record<string, DatasetEntry> = Object.fromEntries(
  [
    pix2pix(
      'facades',
      ['train', 'val', 'test'],
      'BtoA',
      'CMP Facades: photo (A, left) | label map (B, right), 400/100/106 images',
    ),
    pix2pix('cityscapes', ['train', 'val'], 'BtoA', 'Cityscapes: photo (A) | semantic labels (B)'),
    pix2pix('maps', ['train', 'val'], 'AtoB', 'Google Maps: aerial photo (A) | map (B)'),
    pix2pix('edges2shoes', ['train', 'val'], 'AtoB', 'UT Zappos50K: edges (A) | shoe photo (B)'),
    pix2pix('edges2handbags', ['train', 'val'], 'AtoB', 'edges (A) | handbag photo (B)'),
    pix2pix('night2day', ['train', 'val', 'test'], 'AtoB', 'night (A) | day (B) webcam pairs'),
    cyclegan('summer2winter_yosemite', 'Yosemite summer (A) / winter (B) Flickr photos, unpaired'),
    cyclegan('horse2zebra', 'ImageNet horses (A) / zebras (B), unpaired'),
    cyclegan('apple2orange', 'ImageNet apples (A) / oranges (B), unpaired'),
    cyclegan('monet2photo', 'Monet paintings (A) / landscape photos (B), unpaired'),
    cyclegan('vangogh2photo', 'Van Gogh paintings (A) / photos (B), unpaired'),
  ].map((e) => [e.name, e]),
);

export function datasetNames(): string[] {
  return Object.keys(DATASETS);
}

export function findDataset(name: string): DatasetEntry | undefined {
  return Object.hasOwn(DATASETS, name) ? DATASETS[name] : undefined;
}

/** The archive's file name (facades.tar.gz, horse2zebra.zip). */
export function archiveFileName(entry: DatasetEntry): string {
  return entry.url.slice(entry.url.lastIndexOf('/') + 1);
}

/**
 * Why `source` + `layout` cannot work, or undefined when they can. Pure, so the compiler can report it
 * with the pipeline's line numbers before anything runs.
 */
export function datasetSourceProblem(source: string, layout: 'aligned' | 'unaligned'): string | undefined {
  const entry = findDataset(source);
  if (!entry)
    return `unknown dataset "${source}" (known: ${datasetNames().join(', ')}); for your own images use dataset.path`;
  if (entry.layout !== layout)
    return `dataset "${source}" is ${entry.layout === 'aligned' ? 'aligned (A|B side by side)' : 'unaligned (trainA/trainB folders)'}: set dataset.layout: ${entry.layout}`;
  return undefined;
}
