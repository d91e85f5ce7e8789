// What the runtime tells the outside world while a run goes; reporters are plug-ins over these.
import type { StageProgress } from '../core/progress.js';

export type RunEvent =
  | { type: 'runStarted'; pipeline: string; runDir: string; stages: { id: string; kind: string }[] }
  | { type: 'stageScheduled'; stageId: string; fingerprint: string }
  | { type: 'stageStarted'; stageId: string; fingerprint: string }
  | { type: 'stageProgress'; stageId: string; progress: StageProgress }
  | { type: 'stageCached'; stageId: string; fingerprint: string }
  | { type: 'stageFinished'; stageId: string; fingerprint: string; seconds: number }
  | { type: 'stageFailed'; stageId: string; fingerprint: string; error: string; logFile?: string }
  /** Not run: a dependency failed, the run was interrupted, or --only left it out. */
  | { type: 'stageSkipped'; stageId: string; reason: string }
  | { type: 'runFinished'; status: RunStatus; runDir: string };

export type RunStatus = 'done' | 'failed' | 'interrupted';

export interface Reporter {
  event(e: RunEvent): void;
  /** Flush and stop drawing; called once after runFinished. */
  close?(): Promise<void>;
}

/** Fans each event out to every reporter; a reporter that throws does not stop the run. */
export class CompositeReporter implements Reporter {
  constructor(private readonly reporters: Reporter[]) {}
  event(e: RunEvent): void {
    for (const r of this.reporters) {
      try {
        r.event(e);
      } catch {
        // Display problems must never fail a run.
      }
    }
  }
  async close(): Promise<void> {
    for (const r of this.reporters) await r.close?.();
  }
}

/** Keeps every event (tests, JSON output). */
export class RecordingReporter implements Reporter {
  readonly events: RunEvent[] = [];
  event(e: RunEvent): void {
    this.events.push(e);
  }
  ofType<T extends RunEvent['type']>(type: T): Extract<RunEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);
  }
}

/** One line for a progress update: the stage's own message, else epoch/step, loss and ETA. */
export function progressText(p: StageProgress): string {
  if (p.message)
    return p.etaSeconds !== undefined && !/eta/i.test(p.message)
      ? `${p.message} ETA ${formatSeconds(p.etaSeconds)}`
      : p.message;
  const parts: string[] = [];
  if (p.epoch !== undefined) parts.push(`epoch ${p.epoch}`);
  if (p.step !== undefined) parts.push(p.totalSteps ? `step ${p.step}/${p.totalSteps}` : `step ${p.step}`);
  if (p.losses)
    parts.push(
      Object.entries(p.losses)
        .map(([k, v]) => `${k} ${v.toPrecision(3)}`)
        .join(' '),
    );
  if (p.fraction !== undefined) parts.push(`${Math.round(p.fraction * 100)}%`);
  if (p.etaSeconds !== undefined) parts.push(`ETA ${formatSeconds(p.etaSeconds)}`);
  return parts.join(' ');
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
