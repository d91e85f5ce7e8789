// Weight problems are the user's to fix (a wrong or damaged file, a missing mirror): one paragraph, a PIPE_* code.
import { StageUserError } from '../../core/errors.js';

export class WeightsError extends StageUserError {
  constructor(code: `PIPE_WEIGHTS_${string}`, message: string) {
    super(code, message);
    this.name = 'WeightsError';
  }
}

export function badFile(file: string, why: string): WeightsError {
  return new WeightsError(
    'PIPE_WEIGHTS_UNREADABLE',
    `Cannot read weights file ${file}: ${why}. Replace it with the official file.`,
  );
}
