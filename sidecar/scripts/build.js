#!/usr/bin/env node
/*
 * Compiles the sidecar to one plain CommonJS file, dist/main.js, which bin/brom-sidecar.js runs
 * when it is present and newer than the sources.
 *
 * Why not `backstage-cli package build`: it needs the repository-wide `tsc` output (dist-types)
 * first, and it keeps every package import external, so the compiled files would still require
 * `@internal/brom-authz-snapshot`, whose package.json points at TypeScript source. esbuild (the
 * compiler Backstage's build itself runs) bundles that workspace package into the output
 * instead; `undici`, a real dependency, stays an ordinary require. Takes well under a second.
 * `--out FILE` builds elsewhere (the tests build into a temporary directory).
 */
const { join } = require('node:path');
// The repository's one bundling script lives at the root, outside any workspace package.
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
const { bundle } = require('../../scripts/esbuildBundle');

const root = join(__dirname, '..');
bundle({
  entry: join(root, 'src', 'main.ts'),
  defaultOut: join(root, 'dist', 'main.js'),
});
