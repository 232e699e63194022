#!/usr/bin/env node
/*
 * Compiles the backend for production: dist/index.js, one CommonJS file that `node` runs with
 * no TypeScript transform (see README.md, "Production build").
 *
 * The workspace packages (@internal/*) exist only as TypeScript source, so they are compiled
 * into the file. Every other package stays an ordinary require, resolved from the production
 * dependencies installed beside it: Backstage loads plugins with dynamic imports, knex picks its
 * dialect driver at run time, better-sqlite3 is native, and BROM's migrations are found through
 * `resolvePackagePath('@internal/plugin-brom-backend', 'migrations')`, which needs that package's
 * package.json and migrations/ on disk, not in a bundle. Takes about a second. `--out FILE`
 * builds elsewhere. src/instrumentation.js (OpenTelemetry) is copied to dist/ unchanged: production
 * loads it with `node --require dist/instrumentation.js` before the bundle.
 */
const { copyFileSync, mkdirSync } = require('node:fs');
const { dirname, join } = require('node:path');
// The repository's one bundling script lives at the root, outside any workspace package.
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
const { bundle } = require('../../../scripts/esbuildBundle');

const root = join(__dirname, '..');
// OpenTelemetry's setup is loaded with `node --require` before the bundle, as it is.
const instrumentation = join(root, 'dist', 'instrumentation.js');
mkdirSync(dirname(instrumentation), { recursive: true });
copyFileSync(join(root, 'src', 'instrumentation.js'), instrumentation);
bundle({
  entry: join(root, 'src', 'index.ts'),
  defaultOut: join(root, 'dist', 'index.js'),
});
