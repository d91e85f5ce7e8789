// npm >= 11 does not run a dependency's install scripts unless the project approves it (package.json `allowScripts`,
// or `npm approve-scripts`). For most packages that is harmless (prebuilt binaries ship in the tarball or in a
// platform package), but tfjs-node(-gpu) download libtensorflow and their binding in that script: without it they
// cannot load. This lists packages with install scripts, whether the project approves them, and whether the file
// the script would have produced (or checks) is there.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { nativeFacts } from './native.js';

export interface InstallScriptFact {
  package: string;
  script: string;
  approved: boolean;
  /** Whether what the package needs at run time is on disk (null: pipe knows no such file for it). */
  built: boolean | null;
  /** What is missing and what to do, when something is. */
  advice?: string;
}

const requireHere = createRequire(import.meta.url);
const platformArch = `${process.platform}-${process.arch}`;

function resolves(spec: string): boolean {
  try {
    requireHere.resolve(spec);
    return true;
  } catch {
    return false;
  }
}

/** The run-time file each known package's install script produces or checks. */
const BUILT: Record<string, (dir: string) => boolean> = {
  webgpu: (dir) =>
    fs.existsSync(
      path.join(dir, 'dist', process.platform === 'darwin' ? 'darwin-universal' : platformArch, 'dawn.node'),
    ),
  esbuild: () => resolves(`@esbuild/${platformArch}/package.json`),
  'msgpackr-extract': () => resolves(`@msgpackr-extract/msgpackr-extract-${platformArch}/package.json`),
  '@tensorflow/tfjs-node': () => nativeReady('@tensorflow/tfjs-node'),
  '@tensorflow/tfjs-node-gpu': () => nativeReady('@tensorflow/tfjs-node-gpu'),
};

function nativeReady(pkg: string): boolean {
  const f = nativeFacts(pkg);
  return f.binding !== null && f.libtensorflow.length > 0;
}

/** Is `name@version` approved by an allowScripts policy ({ "name": true } or { "name@1.2.3 || 1.2.4": true })? */
export function approvedBy(policy: Record<string, unknown> | undefined, name: string, version: string): boolean {
  if (!policy) return false;
  for (const [key, value] of Object.entries(policy)) {
    if (value !== true) continue;
    const at = key.lastIndexOf('@');
    const keyName = at > 0 ? key.slice(0, at) : key;
    if (keyName !== name) continue;
    const versions =
      at > 0
        ? key
            .slice(at + 1)
            .split('||')
            .map((v) => v.trim())
        : ['*'];
    if (versions.includes('*') || versions.includes(version)) return true;
  }
  return false;
}

function packageDirs(nodeModules: string): string[] {
  const out: string[] = [];
  for (const d of fs.readdirSync(nodeModules)) {
    if (d.startsWith('.')) continue;
    if (!d.startsWith('@')) out.push(path.join(nodeModules, d));
    else for (const e of fs.readdirSync(path.join(nodeModules, d))) out.push(path.join(nodeModules, d, e));
  }
  return out;
}

interface Manifest {
  name: string;
  version: string;
  scripts?: Record<string, string>;
  allowScripts?: Record<string, unknown>;
}

function readManifest(dir: string): Manifest | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
  } catch {
    return null; // a folder without a readable manifest is not a package
  }
}

/** Scans the node_modules that holds tfjs-core (where pipe's dependencies were installed). */
export function installScriptFacts(): InstallScriptFact[] {
  const nodeModules = path.resolve(path.dirname(requireHere.resolve('@tensorflow/tfjs-core/package.json')), '../..');
  const policy = readManifest(path.dirname(nodeModules))?.allowScripts;
  const out: InstallScriptFact[] = [];
  for (const dir of packageDirs(nodeModules)) {
    const m = readManifest(dir);
    const script =
      ['preinstall', 'install', 'postinstall'].map((k) => m?.scripts?.[k]).find(Boolean) ??
      (fs.existsSync(path.join(dir, 'binding.gyp')) ? 'node-gyp rebuild' : undefined);
    if (!m || !script) continue;
    const check = BUILT[m.name];
    const built = check ? check(dir) : null;
    const fact: InstallScriptFact = { package: m.name, script, approved: approvedBy(policy, m.name, m.version), built };
    if (built === false) {
      fact.advice =
        `approve its install script (add "${m.name}": true to "allowScripts" in package.json, or run ` +
        `\`npm approve-scripts\`), then reinstall it: \`npm rebuild ${m.name}\``;
    }
    out.push(fact);
  }
  return out;
}
