// The package version is part of every fingerprint: a new engine release recomputes stages.
import { readFileSync } from 'node:fs';
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
