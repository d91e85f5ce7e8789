// Runs stages inside the coordinator process (no isolation: a crash takes the run down). For
// tests of the scheduler and for debugging a stage kind with a debugger attached.
import { executeStageJob } from '../execute-stage.js';
import type { ArtefactStore, Executor, ExecutorHooks, StageJob, StageOutcome } from '../types.js';

export function createInProcessExecutor(store: ArtefactStore): Executor {
  return {
    name: 'in-process',
    run(job: StageJob, hooks: ExecutorHooks): Promise<StageOutcome> {
      return executeStageJob(job, store, {
        signal: hooks.signal,
        onProgress: (p) => hooks.onProgress(job.stageId, p),
        onLog: (line) => hooks.onLog?.(job.stageId, line),
      });
    },
    async close() {
      // Nothing outlives a stage run in this process.
    },
  };
}
