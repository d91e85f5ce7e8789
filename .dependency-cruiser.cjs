// Import rules for src/ (npm run lint:deps). Layers, lowest first; a module may import its own layer and any
// layer below it, never one above, and layers on the same rung (compiler, ml) never import each other:
//
//   core  <-  compiler, ml  <-  checks  <-  report  <-  stages  <-  runtime  <-  cli (and src/cli.ts)
//
// core is the bottom layer (errors, fs, canonical JSON, file formats, config types) and imports nothing of pipe.
// report sits below stages because the report stage kind (stages/report.ts) renders it; checks sits below report
// because the report shows the checks' outcome.
//
// Plug-in point: src/stages/index.ts loads the modules named by PIPE_STAGE_MODULES with a computed import. It is
// the one import this graph cannot see, by design; ESLint's no-restricted-syntax rule allows computed imports
// nowhere else.
//
// Tests (*.test.ts) and test helpers may import across layers to build fixtures; they are never in dist/.
const LAYERS = [['core'], ['compiler', 'ml'], ['checks'], ['report'], ['stages'], ['runtime'], ['cli']];

const TEST_FILES =
  '(\\.test\\.ts$|^src/compiler/test-helpers\\.ts$|^src/ml/train/test-params\\.ts$|^src/ml/ops/testing\\.ts$|' +
  '^src/ml/webgpu/test-support\\.ts$|^src/stages/test-stages\\.ts$)';
const dir = (name) => (name === 'cli' ? '^src/(cli/|cli\\.ts$)' : `^src/${name}/`);
const alternatives = (names) => `(${names.map(dir).join('|')})`;

const layerRules = LAYERS.flatMap((rung, i) => {
  const above = LAYERS.slice(i + 1).flat();
  return rung.flatMap((name) => {
    const forbidden = [...above, ...rung.filter((n) => n !== name)];
    if (forbidden.length === 0) return []; // the top layer may import anything
    return {
      name: `layer-${name}`,
      comment: `${name} may import only ${LAYERS.slice(0, i).flat().concat(name).join(', ')}`,
      severity: 'error',
      from: { path: dir(name), pathNot: TEST_FILES },
      to: { path: alternatives(forbidden) },
    };
  });
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Modules must not import each other in a circle.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-imports-nothing-of-pipe',
      comment: 'src/core is the bottom layer: it imports only node built-ins, npm packages and itself.',
      severity: 'error',
      from: { path: '^src/core/', pathNot: TEST_FILES },
      to: { path: '^(src/(?!core/)|test/|bench/)' },
    },
    ...layerRules,
    {
      name: 'no-test-code-in-src',
      comment: 'Shipped modules must not import tests or test helpers (they are not in dist/).',
      severity: 'error',
      from: { path: '^src/', pathNot: TEST_FILES },
      to: { path: `(${TEST_FILES}|^test/)` },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import must resolve (a typo or a string-built path would not).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    includeOnly: '^(src|test|bench)/',
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
