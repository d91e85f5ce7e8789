// sha256 of source files, memoised by (path, size, mtime) in the cache directory so that
// `pipe plan` over a dataset of hundreds of images only stats them.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

interface MemoEntry {
  size: number;
  mtimeMs: number;
  sha256: string;
}

export class FileDigests {
  private memo: Record<string, MemoEntry> | undefined;
  private dirty = false;

  /** `file` is where the memo lives (e.g. `<cache>/digests.json`); undefined keeps it in memory. */
  constructor(private readonly file?: string) {}

  async digest(filePath: string): Promise<string> {
    const memo = await this.load();
    const abs = path.resolve(filePath);
    const st = await stat(abs);
    const hit = memo[abs];
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.sha256;
    const sha = await hashFile(abs);
    memo[abs] = { size: st.size, mtimeMs: st.mtimeMs, sha256: sha };
    this.dirty = true;
    return sha;
  }

  /** Writes the memo (temp file + rename, so concurrent writers never leave a torn file). */
  async save(): Promise<void> {
    if (!this.file || !this.dirty || !this.memo) return;
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(this.memo));
    await rename(tmp, this.file);
    this.dirty = false;
  }

  private async load(): Promise<Record<string, MemoEntry>> {
    if (this.memo) return this.memo;
    this.memo = {};
    if (this.file) {
      try {
        this.memo = JSON.parse(await readFile(this.file, 'utf8')) as Record<string, MemoEntry>;
      } catch {
        // Missing or unreadable memo: start empty; it is only an accelerator.
      }
    }
    return this.memo;
  }
}

function hashFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => h.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}
