// Reads a train stage's losses.jsonl: one JSON object per logged step, `step` (and `epoch`, `lr`)
// plus one number per loss term. Unknown or malformed lines are skipped rather than failing a report.
import fs from 'node:fs/promises';

export interface LossSeries {
  steps: number[];
  /** term -> value per logged step (NaN where a line lacked the term). */
  terms: Record<string, number[]>;
  /** Epoch of each logged step, when the lines carry one. */
  epochs?: number[];
}

const NOT_TERMS = new Set(['step', 'epoch', 'lr', 'time', 'seconds', 'iter']);

export function parseLosses(text: string): LossSeries {
  const rows: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const row = JSON.parse(line) as Record<string, unknown>;
      if (row && typeof row === 'object' && typeof row.step === 'number') rows.push(row);
    } catch {
      // a torn last line of an interrupted run
    }
  }
  const names = new Set<string>();
  for (const r of rows) {
    const src = (r.losses && typeof r.losses === 'object' ? r.losses : r) as Record<string, unknown>;
    for (const [k, v] of Object.entries(src)) if (typeof v === 'number' && !NOT_TERMS.has(k)) names.add(k);
  }
  const terms: Record<string, number[]> = {};
  for (const n of names) {
    terms[n] = rows.map((r) => {
      const src = (r.losses && typeof r.losses === 'object' ? r.losses : r) as Record<string, unknown>;
      return typeof src[n] === 'number' ? (src[n] as number) : NaN;
    });
  }
  const out: LossSeries = { steps: rows.map((r) => r.step as number), terms };
  if (rows.some((r) => typeof r.epoch === 'number'))
    out.epochs = rows.map((r) => (typeof r.epoch === 'number' ? r.epoch : NaN));
  return out;
}

export async function readLosses(file: string): Promise<LossSeries> {
  try {
    return parseLosses(await fs.readFile(file, 'utf8'));
  } catch {
    return { steps: [], terms: {} };
  }
}
