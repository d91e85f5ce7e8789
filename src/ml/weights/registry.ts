// Every pretrained weight set pipe can use: the official file (URL, digest, format) and the forms a local mirror
// folder (--weights-dir, PIPE_WEIGHTS_DIR) may hold it in. Digests are the publishers' own: torchvision names its
// files after the sha256 prefix (full sha256 recorded here), Keras publishes md5 (keras.utils.get_file's file_hash),
// LPIPS heads are the exact bytes of richzhang/PerceptualSimilarity.
import type { WeightFormat } from './types.js';

export interface OfficialFile {
  url: string;
  fileName: string;
  format: WeightFormat;
  sha256?: string;
  /** Keras applications publish md5 only. */
  md5?: string;
  bytes?: number;
}

export interface MirrorForm {
  /** Path relative to the mirror folder; for tfjs, the model.json. */
  path: string;
  format: WeightFormat;
  /** Known digest of this exact file (alternate forms whose bytes are pinned by a mirror's provenance). */
  sha256?: string;
  /** The official file's bytes under another path: checked against the official digest. */
  official?: boolean;
}

export interface WeightSet {
  id: WeightSetId;
  title: string;
  official: OfficialFile;
  /** Tried in order inside the mirror folder before the download cache. */
  mirror: MirrorForm[];
  license: string;
}

export type WeightSetId =
  | 'vgg16-torchvision'
  | 'vgg19-torchvision'
  | 'squeezenet1_1-torchvision'
  | 'alexnet-torchvision'
  | 'vgg16-keras'
  | 'vgg19-keras'
  | 'lpips-v0.1-vgg'
  | 'lpips-v0.1-alex'
  | 'lpips-v0.1-squeeze'
  | 'resnet50-torchvision'
  | 'mobilenet_v2-torchvision'
  | 'convnext_tiny-torchvision'
  | 'inception-fid';

const TV = 'https://download.pytorch.org/models/';
const KERAS = 'https://storage.googleapis.com/tensorflow/keras-applications/';
const LPIPS =
  'https://raw.githubusercontent.com/richzhang/PerceptualSimilarity/082bb24f84c091ea94de2867d34c4544f68e0963/lpips/weights/v0.1/';

function torchvision(
  id: WeightSetId,
  name: string,
  fileName: string,
  sha256: string,
  bytes: number | undefined,
  title: string,
): WeightSet {
  return {
    id,
    title,
    official: { url: TV + fileName, fileName, format: 'torch', sha256, bytes },
    mirror: [
      { path: fileName, format: 'torch', official: true },
      { path: `${name}/${fileName}`, format: 'torch', official: true },
      { path: `torchvision/${fileName}`, format: 'torch', official: true },
      { path: `${name}/${name}.safetensors`, format: 'safetensors' },
    ],
    license: 'BSD-3-Clause (torchvision)',
  };
}

function keras(id: WeightSetId, name: 'vgg16' | 'vgg19', md5: string): WeightSet {
  const fileName = `${name}_weights_tf_dim_ordering_tf_kernels_notop.h5`;
  return {
    id,
    title: `Keras applications ${name.toUpperCase()} (ImageNet, Caffe-converted, no top)`,
    official: { url: `${KERAS}${name}/${fileName}`, fileName, format: 'hdf5', md5 },
    mirror: [
      { path: fileName, format: 'hdf5', official: true },
      { path: `keras/${fileName}`, format: 'hdf5', official: true },
      { path: `${name}-keras/${fileName}`, format: 'hdf5', official: true },
      { path: `${name}-keras/model.json`, format: 'tfjs' },
    ],
    license: 'CC BY 4.0 (VGG weights, Simonyan & Zisserman)',
  };
}

function lpips(net: 'vgg' | 'alex' | 'squeeze', sha256: string): WeightSet {
  return {
    id: `lpips-v0.1-${net}`,
    title: `LPIPS v0.1 linear heads (${net})`,
    official: { url: `${LPIPS}${net}.pth`, fileName: `lpips-v0.1-${net}.pth`, format: 'torch', sha256 },
    mirror: [
      { path: `lpips/v0.1/${net}.pth`, format: 'torch', official: true },
      { path: `lpips-v0.1-${net}.pth`, format: 'torch', official: true },
    ],
    license: 'BSD-2-Clause (richzhang/PerceptualSimilarity)',
  };
}

const FID_FILE = 'pt_inception-2015-12-05-6726825d.pth';

/** pytorch-fid's Inception-v3 (TensorFlow's 2015-12-05 graph ported to PyTorch): the network every FID paper reports. */
function inceptionFid(): WeightSet {
  return {
    id: 'inception-fid',
    title: 'pytorch-fid Inception-v3 (TF inception-2015-12-05 port, FID weights)',
    official: {
      url: `https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/${FID_FILE}`,
      fileName: FID_FILE,
      format: 'torch',
      sha256: '6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2',
    },
    mirror: [
      { path: FID_FILE, format: 'torch', official: true },
      { path: `inception/${FID_FILE}`, format: 'torch', official: true },
      { path: `pytorch-fid/${FID_FILE}`, format: 'torch', official: true },
      // torch-fidelity republishes the same bytes under this name (same digest).
      { path: 'weights-inception-2015-12-05-6726825d.pth', format: 'torch', official: true },
      // A safetensors conversion (same key names), checked against the mirror's SHA256SUMS when listed there.
      { path: 'inception/pt_inception-2015-12-05.safetensors', format: 'safetensors' },
    ],
    license: 'Apache-2.0 (TensorFlow Inception weights; pytorch-fid port)',
  };
}

export const WEIGHT_SETS: Record<WeightSetId, WeightSet> = {
  'vgg16-torchvision': torchvision(
    'vgg16-torchvision',
    'vgg16',
    'vgg16-397923af.pth',
    '397923af8e79cdbb6a7127f12361acd7a2f83e06b05044ddf496e83de57a5bf0',
    553433881,
    'torchvision VGG16 (IMAGENET1K_V1)',
  ),
  'vgg19-torchvision': torchvision(
    'vgg19-torchvision',
    'vgg19',
    'vgg19-dcbb9e9d.pth',
    'dcbb9e9dad569fff7a846263a77324fc34978fea2bfb039c012d710e1776ae44',
    undefined,
    'torchvision VGG19 (IMAGENET1K_V1)',
  ),
  'squeezenet1_1-torchvision': (() => {
    const s = torchvision(
      'squeezenet1_1-torchvision',
      'squeezenet1_1',
      'squeezenet1_1-b8a52dc0.pth',
      'b8a52dc049b60e4b6ab68ad0df457362afab8b6304b2febdc1650a5dab4d7e7b',
      4958839,
      'torchvision SqueezeNet 1.1 (IMAGENET1K_V1)',
    );
    // The shared mirror's conversion (features.* only); its bytes are pinned by the mirror's SHA256SUMS.
    s.mirror.unshift({
      path: 'squeezenet1_1/squeezenet1_1.safetensors',
      format: 'safetensors',
      sha256: 'e62a5e142584ee5739a90d2f3c92a001d315410a105b194ddfeefa5656e95fa6',
    });
    return s;
  })(),
  'alexnet-torchvision': torchvision(
    'alexnet-torchvision',
    'alexnet',
    'alexnet-owt-7be5be79.pth',
    '7be5be791159472b1fbf3c69796f7cb30dca7ad8466c2df70058c37116cdee02',
    undefined,
    'torchvision AlexNet (IMAGENET1K_V1)',
  ),
  // Full digests: the file names carry the first 8 hex digits (torch.hub's check); the rest is as pinned, identically,
  // by several independent projects that downloaded these files (not published by torchvision itself).
  'resnet50-torchvision': torchvision(
    'resnet50-torchvision',
    'resnet50',
    'resnet50-0676ba61.pth',
    '0676ba61b6795bbe1773cffd859882e5e297624d384b6993f7c9e683e722fb8a',
    102530333,
    'torchvision ResNet-50 (IMAGENET1K_V1)',
  ),
  'mobilenet_v2-torchvision': torchvision(
    'mobilenet_v2-torchvision',
    'mobilenet_v2',
    'mobilenet_v2-b0353104.pth',
    'b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889',
    undefined,
    'torchvision MobileNetV2 (IMAGENET1K_V1)',
  ),
  // Full digest pinned by one public project only (prefix matches the file name).
  'convnext_tiny-torchvision': torchvision(
    'convnext_tiny-torchvision',
    'convnext_tiny',
    'convnext_tiny-983f1562.pth',
    '983f1562536e84ff750a1576fb08e54de751dbf2e17c0d8a4a13704341fdcd3d',
    undefined,
    'torchvision ConvNeXt-T (IMAGENET1K_V1)',
  ),
  'inception-fid': inceptionFid(),
  'vgg16-keras': keras('vgg16-keras', 'vgg16', '6d6bbae143d832006294945121d1f1fc'),
  'vgg19-keras': keras('vgg19-keras', 'vgg19', '253f8cb515780f3b799900260a226db6'),
  'lpips-v0.1-vgg': lpips('vgg', 'a78928a0af1e5f0fcb1f3b9e8f8c3a2a5a3de244d830ad5c1feddc79b8432868'),
  'lpips-v0.1-alex': lpips('alex', 'df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0'),
  'lpips-v0.1-squeeze': lpips('squeeze', '4a5350f23600cb79923ce65bb07cbf57dca461329894153e05a1346bd531cf76'),
};
