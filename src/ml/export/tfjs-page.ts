// index.html of a TF.js export: pick or drop an image, see the generator's output. Everything it loads sits
// beside it (TF.js scripts, model.json, weights.bin); serve the folder with any static server (browsers do
// not fetch file:// URLs from a page). Pixels in and out as pipe maps them: v / 127.5 - 1 in, and
// floor((clamp(y) + 1) / 2 * 255) out.
export function demoPage(size: number, scripts: string[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pipe generator demo</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; img-src 'self' data: blob:; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'">
<style>body{font:15px system-ui,sans-serif;margin:2em}#drop{border:2px dashed #888;padding:1em;margin:1em 0}
canvas{width:${Math.max(size, 256)}px;height:${Math.max(size, 256)}px;image-rendering:pixelated;border:1px solid #ccc;margin-right:1em}</style>
${scripts.map((s) => `<script src="${s}"></script>`).join('\n')}
</head><body>
<h1>Generator demo</h1>
<p>Pick or drop an image; it is resized to ${size}&times;${size} (the training size) and run by the exported TF.js graph model in this page.</p>
<input type="file" id="file" accept="image/*">
<div id="drop">or drop an image here</div>
<p id="status">loading the model…</p>
<canvas id="input" width="${size}" height="${size}"></canvas><canvas id="output" width="${size}" height="${size}"></canvas>
<script>
const S = ${size};
const status = (t) => { document.getElementById('status').textContent = t; };
const ready = (async () => {
  await tf.setBackend('cpu');
  const model = await tf.loadGraphModel('model.json');
  status('ready');
  return model;
})().catch((e) => { status('error: ' + e.message); throw e; });

async function run(source) {
  const model = await ready;
  status('running…');
  const inCtx = document.getElementById('input').getContext('2d', { willReadFrequently: true });
  inCtx.drawImage(source, 0, 0, S, S);
  const rgba = inCtx.getImageData(0, 0, S, S).data;
  const x = new Float32Array(S * S * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4) for (let c = 0; c < 3; c++) x[j++] = rgba[i + c] / 127.5 - 1;
  const input = tf.tensor4d(x, [1, S, S, 3]);
  const output = model.execute(input);
  const y = await output.data();
  tf.dispose([input, output]);
  const out = new ImageData(S, S);
  for (let i = 0, j = 0; j < y.length; i += 4, j += 3) {
    for (let c = 0; c < 3; c++) out.data[i + c] = Math.floor((Math.min(1, Math.max(-1, y[j + c])) + 1) / 2 * 255);
    out.data[i + 3] = 255;
  }
  document.getElementById('output').getContext('2d').putImageData(out, 0, 0);
  status('done');
}

async function load(file) {
  if (!file) return;
  const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  await run(bitmap);
}
document.getElementById('file').addEventListener('change', (e) => load(e.target.files[0]));
const drop = document.getElementById('drop');
drop.addEventListener('dragover', (e) => e.preventDefault());
drop.addEventListener('drop', (e) => { e.preventDefault(); load(e.dataTransfer.files[0]); });
</script>
</body></html>
`;
}
