// Machine-readable progress: one JSON object per event (`pipe run --progress json`).
import type { Reporter, RunEvent } from '../events.js';

export class JsonLinesReporter implements Reporter {
  constructor(private readonly write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {}
  event(e: RunEvent): void {
    this.write(JSON.stringify({ time: new Date().toISOString(), ...e }));
  }
}
