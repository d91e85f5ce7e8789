// The package version is part of every fingerprint: a new engine release recomputes stages.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function engineVersion(): string {
  if (cached) return cached;
  // Same relative location from src/runtime/*.ts and dist/runtime/*.js.
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as {
    version: string;
  };
  cached = pkg.version;
  return cached;
}

/** Versions recorded in run.json: pipe, Node and the TensorFlow.js packages present. */
export function runtimeVersions(): Record<string, string> {
  const out: Record<string, string> = { pipe: engineVersion(), node: process.version };
  const require = createRequire(import.meta.url);
  for (const pkg of [
    '@tensorflow/tfjs-core',
    '@tensorflow/tfjs-backend-wasm',
    '@tensorflow/tfjs-node',
    '@tensorflow/tfjs-node-gpu',
  ]) {
    try {
      out[pkg] = (require(`${pkg}/package.json`) as { version: string }).version;
    } catch {
      // Optional package not installed.
    }
  }
  return out;
}
