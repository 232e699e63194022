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
 * package.json and migrations/ on disk, not in a bundle. Takes about a second.
 */
const { dirname, join, relative, resolve } = require('node:path');

const root = join(__dirname, '..');
// `--out FILE` builds elsewhere.
const outArgument = process.argv.indexOf('--out');
const outfile =
  outArgument === -1
    ? join(root, 'dist', 'index.js')
    : resolve(process.argv[outArgument + 1]);

/** The esbuild that Backstage's build tooling runs (as in sidecar/scripts/build.js). */
function loadEsbuild() {
  const cli = dirname(require.resolve('@backstage/cli/package.json'));
  const buildModule = dirname(
    require.resolve('@backstage/cli-module-build/package.json', {
      paths: [cli],
    }),
  );
  return require(require.resolve('esbuild', { paths: [buildModule] }));
}

/** Bare imports stay external unless they name a workspace package. */
const externalUnlessWorkspace = {
  name: 'external-unless-workspace',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, args =>
      args.path.startsWith('@internal/')
        ? undefined
        : { path: args.path, external: true },
    );
  },
};

async function main() {
  const esbuild = loadEsbuild();
  const result = await esbuild.build({
    entryPoints: [join(root, 'src', 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    plugins: [externalUnlessWorkspace],
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
  });
  const inputs = Object.keys(result.metafile.inputs);
  process.stdout.write(
    `Built ${relative(process.cwd(), outfile)} from ${inputs.length} sources\n`,
  );
}

main().catch(error => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exit(1);
});
