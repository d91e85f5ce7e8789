// `pipe export --format pytorch|safetensors`: the generator(s) as official pytorch-CycleGAN-and-pix2pix
// state dicts (networks.py key names and shapes), so test.py loads them as latest_net_G.pth.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { InferenceModel, Direction } from '../inference/model-source.js';
import { stateDictFromParams } from '../inference/official-checkpoint.js';
import { encodeSafetensors } from '../weights/readers/safetensors.js';
import { encodeTorchZip } from '../weights/readers/torch-writer.js';
import type { NamedArray, WeightMap } from '../weights/types.js';

const isInt64 = (name: string) => name.endsWith('num_batches_tracked');

/** The reference's file name per direction: latest_net_G (pix2pix) or latest_net_G_A / _B (CycleGAN). */
export function officialName(model: InferenceModel, d: Direction): string {
  return model.directions.length === 1 ? 'latest_net_G' : d === 'AtoB' ? 'latest_net_G_A' : 'latest_net_G_B';
}

export async function officialStateDict(model: InferenceModel, d: Direction): Promise<WeightMap> {
  const params: Record<string, NamedArray> = {};
  const running: Record<string, NamedArray> = {};
  for (const [name, t] of Object.entries(model.params(d))) {
    const entry = { shape: t.shape, data: (await t.data()) as Float32Array };
    if (/\.running_(mean|var)$/.test(name)) running[name] = entry;
    else params[name] = entry;
  }
  return stateDictFromParams(params, model.arch, model.size, running);
}

/** How the reference builds the same generator: test.py's command line, or the networks.py call when no --netG fits. */
export function testPyCommand(model: InferenceModel): string {
  const a = model.arch;
  const depth = a.generator === 'unet' ? Math.log2(model.size) : 0;
  const netG = depth === 7 ? 'unet_128' : depth === 8 ? 'unet_256' : a.generator;
  // Other U-Net depths are UnetGenerator(num_downs=log2(size)), which test.py has no --netG name for.
  if (netG === 'unet') {
    return (
      `no test.py --netG builds it: networks.UnetGenerator(3, 3, num_downs=${depth}, ngf=${a.ngf}, ` +
      `norm_layer=networks.get_norm_layer('${a.norm}'), use_dropout=${a.dropout ? 'True' : 'False'})`
    );
  }
  const dropout = a.dropout ? '' : ' --no_dropout';
  const flags = `--netG ${netG} --ngf ${a.ngf} --norm ${a.norm}${dropout} --load_size ${model.size} --crop_size ${model.size}`;
  const run = 'python test.py --dataroot IMAGES --name NAME --model test --dataset_mode single --no_flip';
  return `${run} ${flags} (the file as checkpoints/NAME/latest_net_G.pth)`;
}

export async function writeOfficial(
  model: InferenceModel,
  format: 'pytorch' | 'safetensors',
  outDir: string,
): Promise<string[]> {
  await fs.mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const d of model.directions) {
    const sd = await officialStateDict(model, d);
    const file = path.join(outDir, `${officialName(model, d)}.${format === 'pytorch' ? 'pth' : 'safetensors'}`);
    // torch.save names the zip's top folder after the file; any name loads.
    await fs.writeFile(
      file,
      format === 'pytorch' ? encodeTorchZip(sd, officialName(model, d), isInt64) : encodeSafetensors(sd, isInt64),
    );
    written.push(file);
  }
  return written;
}
