import { describe, expect, it } from 'vitest';
import { CompositeReporter, progressText, RecordingReporter, type RunEvent } from '../events.js';
import { JsonLinesReporter } from './jsonl.js';
import { PlainReporter } from './plain.js';

const events: RunEvent[] = [
  {
    type: 'runStarted',
    pipeline: 'p',
    runDir: 'runs/p/1',
    stages: [
      { id: 'dataset', kind: 'dataset' },
      { id: 'train/a', kind: 'train' },
    ],
  },
  { type: 'stageCached', stageId: 'dataset', fingerprint: 'f1' },
  { type: 'stageStarted', stageId: 'train/a', fingerprint: 'f2' },
  {
    type: 'stageProgress',
    stageId: 'train/a',
    progress: { epoch: 1, step: 3, totalSteps: 40, losses: { G: 1.23456 }, etaSeconds: 75 },
  },
  { type: 'stageProgress', stageId: 'train/a', progress: { epoch: 1, step: 4, totalSteps: 40 } },
  {
    type: 'stageFailed',
    stageId: 'train/a',
    fingerprint: 'f2',
    error: 'out of memory',
    logFile: 'runs/p/1/logs/train/a.log',
  },
  { type: 'runFinished', status: 'failed', runDir: 'runs/p/1' },
];

describe('reporters', () => {
  it('plain: one line per event, progress throttled per stage, failures with their log', () => {
    const lines: string[] = [];
    const r = new PlainReporter((l) => lines.push(l), 60_000);
    for (const e of events) r.event(e);
    expect(lines).toEqual([
      'pipe: p: 2 stages -> runs/p/1',
      '[cached] dataset',
      '[start ] train/a',
      '[ ...  ] train/a: epoch 1 step 3/40 G 1.23 ETA 1m15s',
      '[FAILED] train/a: out of memory (log: runs/p/1/logs/train/a.log)',
      'pipe: run failed: runs/p/1',
    ]);
  });

  it('json lines: every event as one parseable object', () => {
    const lines: string[] = [];
    const r = new JsonLinesReporter((l) => lines.push(l));
    for (const e of events) r.event(e);
    expect(lines.map((l) => JSON.parse(l).type)).toEqual(events.map((e) => e.type));
  });

  it('composite: fans out, and a throwing reporter does not stop the others', () => {
    const rec = new RecordingReporter();
    const c = new CompositeReporter([
      {
        event: () => {
          throw new Error('broken terminal');
        },
      },
      rec,
    ]);
    for (const e of events) c.event(e);
    expect(rec.events).toHaveLength(events.length);
  });

  it('progress text prefers the stage message and adds the ETA when missing', () => {
    expect(progressText({ message: 'epoch 2/5 step 7/40', etaSeconds: 30 })).toBe('epoch 2/5 step 7/40 ETA 30s');
    expect(progressText({ message: 'scoring 3/10 ETA 5s', etaSeconds: 5 })).toBe('scoring 3/10 ETA 5s');
    expect(progressText({ fraction: 0.5 })).toBe('50%');
  });
});
