// The `report` stage: aggregates every config's evaluation into the run's metrics.json and renders
// report.html (self-contained) and report.md. Inputs are named `train:<configId>` and
// `evaluate:<configId>`; the runtime copies the three files to the top of the run directory.
import type { ReportParams } from '../core/stage-params.js';
import type { StageContext, StageKind } from './types.js';

/** Splits `train:<id>` / `evaluate:<id>` inputs into per-config folders. */
export function inputsByConfig(inputs: Record<string, string>): {
  trainDirs: Record<string, string>;
  evaluateDirs: Record<string, string>;
} {
  const trainDirs: Record<string, string> = {};
  const evaluateDirs: Record<string, string> = {};
  for (const [name, dir] of Object.entries(inputs)) {
    const i = name.indexOf(':');
    if (i < 0) continue;
    const [kind, id] = [name.slice(0, i), name.slice(i + 1)];
    if (kind === 'train') trainDirs[id] = dir;
    else if (kind === 'evaluate') evaluateDirs[id] = dir;
  }
  return { trainDirs, evaluateDirs };
}

export const reportStage: StageKind<ReportParams> = {
  kind: 'report',
  version: 1,
  async run(ctx: StageContext<ReportParams>) {
    const { buildReportModel, timingsFromStageRecords } = await import('../report/model.js');
    const { writeReport } = await import('../report/write.js');
    const { trainDirs, evaluateDirs } = inputsByConfig(ctx.inputs);
    const stageDirs: Record<string, string> = {};
    for (const [id, d] of Object.entries(trainDirs)) stageDirs[`train/${id}`] = d;
    for (const [id, d] of Object.entries(evaluateDirs)) stageDirs[`evaluate/${id}`] = d;
    const model = await buildReportModel({
      params: ctx.params,
      trainDirs,
      evaluateDirs,
      stages: await timingsFromStageRecords(stageDirs),
    });
    await writeReport(model, ctx.outDir);
    const failed = model.checks.filter((c) => !c.pass).length;
    ctx.log(
      `report: ${Object.keys(model.run.configs).length} configs, ${model.checks.length} checks (${failed} failing)`,
    );
    return {
      summary: Object.fromEntries(
        Object.entries(model.run.variants).map(([v, a]) => [
          v,
          Object.fromEntries(Object.entries(a.summary).map(([m, s]) => [m, s!.mean])),
        ]),
      ),
    };
  },
};
