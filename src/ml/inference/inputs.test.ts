// pipe predict's INPUT arguments: files, folders (recursive, natural order), globs, and the errors that
// name what is wrong.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandInputs } from './inputs.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-inputs-'));
  for (const f of ['a/10.jpg', 'a/2.png', 'a/sub/1.jpg', 'a/notes.txt', 'b/2.png', 'c.jpeg']) {
    await fs.mkdir(path.dirname(path.join(tmp, f)), { recursive: true });
    await fs.writeFile(path.join(tmp, f), 'x');
  }
});
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

describe('expandInputs', () => {
  it("keeps a folder's relative names in natural order, a file's base name, and skips duplicates", async () => {
    const got = await expandInputs([path.join(tmp, 'a'), path.join(tmp, 'c.jpeg'), path.join(tmp, 'a/2.png')]);
    expect(got.map((g) => g.name)).toEqual(['2', '10', 'sub/1', 'c']);
  });
  it('expands globs', async () => {
    const got = await expandInputs([path.join(tmp, '**/1.jpg')]);
    expect(got.map((g) => path.relative(tmp, g.file))).toEqual(['a/sub/1.jpg']);
  });
  it('names a missing input, an empty match and two inputs writing one PNG', async () => {
    await expect(expandInputs([path.join(tmp, 'nope.jpg')])).rejects.toThrow(/Input .*nope\.jpg does not exist/);
    await expect(expandInputs([path.join(tmp, '*.gif')])).rejects.toThrow(/matches no \.jpg/);
    await expect(expandInputs([path.join(tmp, 'a/2.png'), path.join(tmp, 'b/2.png')])).rejects.toThrow(
      /a\/2\.png and .*b\/2\.png would both be written as 2\.png/,
    );
  });
});
