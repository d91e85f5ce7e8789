// The report's "Use the models" section: the exact `pipe predict` / `pipe export` commands for each
// config's trained generator, run from the pipeline's folder (runs/<name>/latest is the newest finished run).
import type { ReportParams } from '../core/stage-params.js';

export const EXPORT_FORMATS = ['pytorch', 'safetensors', 'onnx', 'tfjs'] as const;

export interface ModelCommands {
  config: string;
  predict: string;
  exports: string[];
}

const quote = (s: string) => (/^[\w./:@=-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);

export function modelCommands(params: ReportParams): ModelCommands[] {
  const run = `runs/${params.name}/latest`;
  const aligned = params.base.dataset.layout === 'aligned';
  const inputs = aligned ? 'PAIRS_DIR/ (A|B images, split like the dataset)' : 'IMAGES_DIR/';
  return params.configs.map((c) => {
    const model = quote(`${run}:${c.id}`);
    const cyclegan = params.base.model.kind === 'cyclegan' ? ' [--direction BtoA]' : '';
    return {
      config: c.id,
      predict: `pipe predict ${model} ${inputs} -o predictions/${c.id}${cyclegan}`,
      exports: EXPORT_FORMATS.map((f) => `pipe export ${model} --format ${f} -o export/${c.id}-${f}`),
    };
  });
}

export function modelCommandsMarkdown(params: ReportParams): string {
  const lines = ['### Use the models', ''];
  for (const m of modelCommands(params))
    lines.push(`\`${m.config}\`:`, '', '```sh', m.predict, ...m.exports, '```', '');
  return lines.join('\n');
}
