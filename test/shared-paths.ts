// Where the read-only shared datasets and weights live for tests (never copied into the repo).
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const repo = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
export const REPO_DIR = repo;
export const SHARED_DATA_DIR = process.env.PIPE_DATA_DIR ?? path.resolve(repo, '../shared/datasets');
export const SHARED_WEIGHTS_DIR = process.env.PIPE_WEIGHTS_DIR ?? path.resolve(repo, '../shared/weights');
