// Diagnostics are plain data (file, line, col, key path, message) so tests can assert positions;
// the thrown error carries them and renders one `FILE:LINE:COL: path: message` line each.
import { UserError } from '../core/errors.js';

export interface Diagnostic {
  /** The pipeline file as given, or `--set` for a command-line override. */
  file: string;
  /** 1-based; 0 for `--set` diagnostics, which have no position. */
  line: number;
  col: number;
  /** Dotted key path of the offending key or value (`(top level)` for the document itself). */
  path: string;
  message: string;
  /** The `--set` argument a diagnostic is about. */
  arg?: string;
}

export const PIPE_INVALID_PIPELINE = 'PIPE_INVALID_PIPELINE';

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.arg !== undefined ? `--set ${d.arg}` : `${d.file}:${d.line}:${d.col}`;
  return `${where}: ${d.path || '(top level)'}: ${d.message}`;
}

/** File diagnostics by position, then `--set` ones in argument order; duplicates dropped. */
export function sortDiagnostics(diags: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const unique = diags.filter((d) => {
    const key = formatDiagnostic(d);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const rank = (d: Diagnostic) => (d.arg !== undefined ? 1 : 0);
  return unique
    .map((d, i) => ({ d, i }))
    .sort(
      (a, b) =>
        rank(a.d) - rank(b.d) ||
        (a.d.arg === undefined ? a.d.file.localeCompare(b.d.file) || a.d.line - b.d.line || a.d.col - b.d.col : 0) ||
        a.i - b.i,
    )
    .map(({ d }) => d);
}

/** A pipeline that does not compile: every diagnostic, one per line. */
export class PipelineError extends UserError {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[]) {
    const sorted = sortDiagnostics(diagnostics);
    super(PIPE_INVALID_PIPELINE, sorted.map(formatDiagnostic).join('\n'));
    this.name = 'PipelineError';
    this.diagnostics = sorted;
  }
}

export type PathSegment = string | number;

/** `loss.perceptual.layers` / `checks[1].metric`; dotted keys of variants and sweeps stay as written. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}
