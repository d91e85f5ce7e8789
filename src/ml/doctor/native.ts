// What a native TensorFlow backend (tfjs-node, tfjs-node-gpu) needs on disk: the package, its N-API binding (built
// or downloaded by its install script, which npm >= 11 skips unless approved) and libtensorflow in deps/lib.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface NativeFacts {
  package: string;
  installed: boolean;
  version?: string;
  /** tfjs_binding.node, or null when the install script never ran. */
  binding: string | null;
  /** libtensorflow.so.* files in deps/lib. */
  libtensorflow: string[];
  /** Version from the libtensorflow file name (e.g. 2.9.1), when there is one. */
  libtensorflowVersion: string | null;
}

const requireHere = createRequire(import.meta.url);

function packageDir(pkg: string): string | null {
  try {
    return path.dirname(requireHere.resolve(`${pkg}/package.json`));
  } catch {
    return null;
  }
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return []; // a missing folder simply holds nothing
  }
}

/** The highest x.y.z among libtensorflow.so.x.y.z names. */
export function libtensorflowVersion(files: string[]): string | null {
  const versions = files
    .map((f) => /^libtensorflow\.so\.(\d+\.\d+\.\d+)$/.exec(f)?.[1])
    .filter((v): v is string => !!v);
  const key = (v: string) =>
    v
      .split('.')
      .map((n) => n.padStart(5, '0'))
      .join('.');
  return versions.sort((a, b) => key(a).localeCompare(key(b))).at(-1) ?? null;
}

export function nativeFacts(pkg: string): NativeFacts {
  const dir = packageDir(pkg);
  if (!dir) return { package: pkg, installed: false, binding: null, libtensorflow: [], libtensorflowVersion: null };
  const version = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  const napi = listDir(path.join(dir, 'lib')).filter((d) => d.startsWith('napi-v'));
  const binding = napi.map((d) => path.join(dir, 'lib', d, 'tfjs_binding.node')).find((f) => fs.existsSync(f)) ?? null;
  const libtensorflow = listDir(path.join(dir, 'deps', 'lib'))
    .filter((f) => f.startsWith('libtensorflow'))
    .sort();
  return {
    package: pkg,
    installed: true,
    version,
    binding,
    libtensorflow,
    libtensorflowVersion: libtensorflowVersion(libtensorflow),
  };
}
