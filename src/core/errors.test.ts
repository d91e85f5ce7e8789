import { describe, expect, it } from 'vitest';
import { DagError } from '../compiler/dag.js';
import { PipelineError } from '../compiler/diagnostics.js';
import { StageKindError } from '../stages/index.js';
import { formatPipeError, isUserFacing, PipeError, StageUserError, UserError } from './errors.js';

describe('PipeError', () => {
  it('maps exit classes to exit codes: user 1, usage 2, internal 70', () => {
    expect(new UserError('PIPE_X', 'bad input').exitCode).toBe(1);
    expect(new UserError('PIPE_X', 'bad flag', 2).exitCode).toBe(2);
    expect(new PipeError('PIPE_BUG', 'a bug', { exitClass: 'internal' }).exitCode).toBe(70);
  });

  it('tells user-facing errors apart by class, not by the text of the code', () => {
    expect(isUserFacing(new StageUserError('PIPE_DATA', 'no images'))).toBe(true);
    expect(isUserFacing(new StageKindError('PIPE_UNKNOWN_STAGE_KIND', 'no such kind'))).toBe(true);
    expect(isUserFacing(new PipelineError([]))).toBe(true);
    expect(isUserFacing(Object.assign(new Error('duck'), { code: 'PIPE_DUCK' }))).toBe(false);
    // The compiler reports cycles as diagnostics first: a DagError is a bug and keeps its stack.
    expect(isUserFacing(new DagError('dependency cycle', ['a', 'b', 'a']))).toBe(false);
  });

  it('prints the hint under the message', () => {
    expect(formatPipeError(new UserError('PIPE_X', 'No runs under runs/.', 2, 'Start one with `pipe run FILE`.'))).toBe(
      'No runs under runs/.\nStart one with `pipe run FILE`.',
    );
  });
});
