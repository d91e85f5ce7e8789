// Finds the CUDA runtime libraries libtensorflow loads at run time (dlopen), the way the dynamic linker would: the
// `ldconfig -p` cache and the folders of LD_LIBRARY_PATH. Parsing is pure so it is tested on captured text.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Library stems libtensorflow's GPU build dlopens; libcuda comes with the NVIDIA driver, the rest with CUDA. */
export const CUDA_LIBS = [
  'libcuda',
  'libcudart',
  'libcublas',
  'libcublasLt',
  'libcufft',
  'libcurand',
  'libcusolver',
  'libcusparse',
  'libcudnn',
];

export interface FoundLib {
  /** e.g. libcudart.so.12 */
  soname: string;
  path: string;
  /** Major version from the soname, when it has one. */
  major: number | null;
}

/** Splits a library file name into its stem and major version: libcudnn.so.8.1.0 -> libcudnn, 8. */
export function parseSoname(file: string): { stem: string; major: number | null } | null {
  const m = /^(lib[\w+-]+?)\.so(?:\.(\d+))?(?:\.[\d.]+)?$/.exec(file);
  return m ? { stem: m[1]!, major: m[2] === undefined ? null : Number(m[2]) } : null;
}

/** Lines of `ldconfig -p`: "\tlibcudart.so.12 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudart.so.12". */
export function parseLdconfig(text: string): { file: string; path: string }[] {
  const out: { file: string; path: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S+)\s*$/.exec(line);
    // 64-bit entries say so ("libc6,x86-64", "libc6,AArch64"); a bare "libc6" is a 32-bit library.
    if (m && /64/.test(m[2]!)) out.push({ file: m[1]!, path: m[3]! });
  }
  return out;
}

/** The candidates of each wanted stem, first found first (LD_LIBRARY_PATH before the cache, as ld.so searches). */
export function matchLibs(candidates: { file: string; path: string }[], stems = CUDA_LIBS): Record<string, FoundLib[]> {
  const found: Record<string, FoundLib[]> = Object.fromEntries(stems.map((s) => [s, []]));
  for (const c of candidates) {
    const p = parseSoname(c.file);
    if (!p || !(p.stem in found)) continue;
    if (found[p.stem]!.some((f) => f.path === c.path)) continue;
    found[p.stem]!.push({ soname: c.file, path: c.path, major: p.major });
  }
  return found;
}

function ldconfigText(): Promise<string> {
  return new Promise((resolve) => {
    // ldconfig lives in /sbin on Debian, outside a normal user's PATH.
    const bin = ['/sbin/ldconfig', '/usr/sbin/ldconfig'].find((f) => fs.existsSync(f)) ?? 'ldconfig';
    execFile(bin, ['-p'], { timeout: 10_000, encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout) =>
      resolve(err ? '' : stdout),
    );
  });
}

function ldLibraryPathFiles(value = process.env.LD_LIBRARY_PATH ?? ''): { file: string; path: string }[] {
  const out: { file: string; path: string }[] = [];
  for (const dir of value.split(':').filter(Boolean)) {
    let files: string[];
    try {
      files = fs.readdirSync(dir);
    } catch {
      continue; // a listed folder that does not exist is common and harmless
    }
    for (const f of files) if (f.includes('.so')) out.push({ file: f, path: path.join(dir, f) });
  }
  return out;
}

export async function findCudaLibs(): Promise<Record<string, FoundLib[]>> {
  return matchLibs([...ldLibraryPathFiles(), ...parseLdconfig(await ldconfigText())]);
}
