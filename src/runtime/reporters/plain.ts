// Line-by-line progress for logs and CI (stdout not a TTY, or CI set). Progress lines for a
// stage are throttled so a long training stage does not flood the log.
import type { Reporter, RunEvent } from '../events.js';
import { formatSeconds, progressText } from '../events.js';

export class PlainReporter implements Reporter {
  private lastProgress = new Map<string, number>();
  constructor(
    private readonly write: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
    private readonly progressEveryMs = 10_000,
  ) {}

  event(e: RunEvent): void {
    switch (e.type) {
      case 'runStarted':
        return this.write(`pipe: ${e.pipeline}: ${e.stages.length} stages -> ${e.runDir}`);
      case 'stageStarted':
        return this.write(`[start ] ${e.stageId}`);
      case 'stageCached':
        return this.write(`[cached] ${e.stageId}`);
      case 'stageProgress': {
        const now = Date.now();
        if (now - (this.lastProgress.get(e.stageId) ?? 0) < this.progressEveryMs) return;
        this.lastProgress.set(e.stageId, now);
        return this.write(`[ ...  ] ${e.stageId}: ${progressText(e.progress)}`);
      }
      case 'stageFinished':
        return this.write(`[done  ] ${e.stageId} (${formatSeconds(e.seconds)})`);
      case 'stageFailed':
        return this.write(`[FAILED] ${e.stageId}: ${e.error}${e.logFile ? ` (log: ${e.logFile})` : ''}`);
      case 'stageSkipped':
        return this.write(`[skip  ] ${e.stageId}: ${e.reason}`);
      case 'runFinished':
        return this.write(`pipe: run ${e.status}: ${e.runDir}`);
      default:
        return;
    }
  }
}
