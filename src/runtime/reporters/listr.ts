// Interactive progress with listr2: one line per stage and, under a running stage, its live
// sub-progress (epoch/step, loss, ETA). Each stage is a listr task that waits for the runtime's
// events, so listr only draws; it never schedules anything.
import { Listr, type ListrTaskWrapper } from 'listr2';
import type { Reporter, RunEvent } from '../events.js';
import { formatSeconds, progressText } from '../events.js';

interface StageTask {
  task?: ListrTaskWrapper<unknown, any, any>;
  settle?: (err?: Error) => void;
  pending: RunEvent[];
}

export class ListrReporter implements Reporter {
  private readonly stages = new Map<string, StageTask>();
  private listr?: Listr<unknown, any, any>;
  private done?: Promise<unknown>;

  event(e: RunEvent): void {
    if (e.type === 'runStarted') return this.start(e.stages.map((s) => s.id));
    if (e.type === 'runFinished' || !('stageId' in e)) return;
    const st = this.stages.get(e.stageId);
    if (!st) return;
    if (!st.task) st.pending.push(e);
    else this.apply(st, e);
  }

  async close(): Promise<void> {
    for (const st of this.stages.values()) st.settle?.();
    await this.done;
  }

  private start(ids: string[]): void {
    for (const id of ids) this.stages.set(id, { pending: [] });
    this.listr = new Listr(
      ids.map((id) => ({
        title: `${id} (waiting)`,
        rendererOptions: { outputBar: 1, persistentOutput: false },
        task: (_ctx: unknown, task: ListrTaskWrapper<unknown, any, any>) =>
          new Promise<void>((resolve, reject) => {
            const st = this.stages.get(id)!;
            st.task = task;
            st.settle = (err) => (err ? reject(err) : resolve());
            for (const e of st.pending.splice(0)) this.apply(st, e);
          }),
      })),
      { concurrent: true, exitOnError: false, rendererOptions: { collapseErrors: false, collapseSkips: true } },
    );
    // Stage failures are drawn by the tasks themselves (exitOnError: false); this promise only marks the end of drawing.
    this.done = this.listr.run().catch(() => undefined);
  }

  private apply(st: StageTask, e: RunEvent): void {
    const task = st.task!;
    const id = 'stageId' in e ? e.stageId : '';
    switch (e.type) {
      case 'stageStarted':
        task.title = id;
        return;
      case 'stageProgress':
        task.output = progressText(e.progress);
        return;
      case 'stageCached':
        task.skip(`${id} (cached)`);
        st.settle?.();
        return;
      case 'stageSkipped':
        task.skip(`${id} (skipped: ${e.reason})`);
        st.settle?.();
        return;
      case 'stageFinished':
        task.title = `${id} (${formatSeconds(e.seconds)})`;
        st.settle?.();
        return;
      case 'stageFailed':
        task.title = id;
        st.settle?.(new Error(`${e.error}${e.logFile ? ` (log: ${e.logFile})` : ''}`));
        return;
      default:
        return;
    }
  }
}
