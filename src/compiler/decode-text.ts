// Pipeline file bytes -> text. YAML is UTF-8 here: a UTF-16/32 file (Windows editors write them) or a
// binary file gets a message saying which encoding it is, instead of "expected object, got string".
import { PipelineError } from './diagnostics.js';

const BOMS: Array<[number[], string]> = [
  [[0x00, 0x00, 0xfe, 0xff], 'UTF-32 BE'],
  [[0xff, 0xfe, 0x00, 0x00], 'UTF-32 LE'],
  [[0xfe, 0xff], 'UTF-16 BE'],
  [[0xff, 0xfe], 'UTF-16 LE'],
];

function fail(file: string, line: number, col: number, message: string): never {
  throw new PipelineError([{ file, line, col, path: '', message }]);
}

/** UTF-16 without a BOM: ASCII text with every other byte NUL. */
function utf16Guess(b: Uint8Array): string | undefined {
  const n = Math.min(b.length, 64) & ~1;
  if (n < 4) return undefined;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < n; i += 2) {
    if (b[i] === 0) evenNul++;
    if (b[i + 1] === 0) oddNul++;
  }
  if (oddNul === n / 2 && evenNul === 0) return 'UTF-16 LE';
  if (evenNul === n / 2 && oddNul === 0) return 'UTF-16 BE';
  return undefined;
}

function position(b: Uint8Array, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset; i++) if (b[i] === 0x0a) (line++, (start = i + 1));
  return { line, col: offset - start + 1 };
}

export function decodePipelineBytes(b: Uint8Array, file: string): string {
  const convert = 'save it as UTF-8 (e.g. `iconv -f ENC -t UTF-8`, or "Save with encoding: UTF-8" in the editor)';
  for (const [bom, name] of BOMS) {
    if (bom.every((x, i) => b[i] === x))
      fail(
        file,
        1,
        1,
        `the file is ${name} encoded (it starts with a ${name} byte-order mark); ` +
          convert.replace('ENC', name.replace(' ', '')),
      );
  }
  const guess = utf16Guess(b);
  if (guess)
    fail(
      file,
      1,
      1,
      `the file looks ${guess} encoded (every other byte is NUL); ${convert.replace('ENC', guess.replace(' ', ''))}`,
    );
  const nul = b.indexOf(0);
  if (nul >= 0) {
    const { line, col } = position(b, nul);
    fail(file, line, col, 'the file contains NUL bytes here: it is binary or damaged, not a YAML text file');
  }
  const start = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(start));
  } catch {
    const bad = firstInvalidUtf8(b.subarray(start)) + start;
    const { line, col } = position(b, bad);
    return fail(
      file,
      line,
      col,
      `the file is not valid UTF-8 here (byte 0x${b[bad]?.toString(16) ?? '??'}; Latin-1?); ` +
        convert.replace('ENC', 'LATIN1'),
    );
  }
}

function firstInvalidUtf8(b: Uint8Array): number {
  const dec = new TextDecoder('utf-8', { fatal: true });
  let lo = 0;
  let hi = b.length;
  // Binary search for the shortest prefix that fails (a prefix cut inside a sequence fails too; close enough).
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    try {
      dec.decode(b.subarray(0, mid));
      lo = mid;
    } catch {
      hi = mid;
    }
  }
  return lo;
}
