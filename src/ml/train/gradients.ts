// Registers tfjs-core's gradient functions (the union package @tensorflow/tfjs does this; tfjs-core alone
// does not). They only ship as ESM files with extension-less relative imports inside a package that
// Node treats as CommonJS, so plain Node cannot import them: a module hook adds the `.js` and marks
// those files as ESM. The loaded copy shares the global kernel/gradient registries and engine with the
// CommonJS build, and tfjs tensors pass instanceof across copies, so the two interoperate.
import { register } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';

const HOOKS = `
const CORE = '/@tensorflow/tfjs-core/dist/';
export async function resolve(spec, ctx, next) {
  if (ctx.parentURL && ctx.parentURL.includes(CORE) && spec.startsWith('.') && !spec.endsWith('.js')) {
    try { return await next(spec + '.js', ctx); } catch { return next(spec + '/index.js', ctx); }
  }
  return next(spec, ctx);
}
export async function load(url, ctx, next) {
  if (url.includes(CORE) && url.endsWith('.js') && !/tf-core\\.[a-z0-9.]*js$/.test(url)) return next(url, { ...ctx, format: 'module' });
  return next(url, ctx);
}`;

let done: Promise<void> | undefined;

export function registerGradients(): Promise<void> {
  done ??= (async () => {
    if (tf.getGradient('Mean')) return;
    register(`data:text/javascript,${encodeURIComponent(HOOKS)}`);
    await import('@tensorflow/tfjs-core/dist/register_all_gradients.js' as string);
    if (!tf.getGradient('Mean')) throw new Error('tfjs-core gradients did not register');
  })();
  return done;
}
