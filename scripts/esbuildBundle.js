/*
 * Compiles one workspace's entry point into a single CommonJS file with the esbuild that
 * Backstage's own build tooling (@backstage/cli, a devDependency) runs, resolved from there
 * rather than declared again. Workspace packages (@internal/*) exist only as TypeScript source,
 * so they are compiled in; every other bare import stays an ordinary require, resolved from the
 * dependencies installed beside the output. Used by sidecar/scripts/build.js and
 * packages/backend/scripts/build.js; `--out FILE` on their command line builds elsewhere.
 */
const { dirname, relative, resolve } = require('node:path');

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

/**
 * Builds `entry` into `defaultOut` (or the file after `--out` in `argv`) and prints what it
 * built; exits non-zero on failure.
 */
function bundle({ entry, defaultOut, argv = process.argv }) {
  const outArgument = argv.indexOf('--out');
  const outfile =
    outArgument === -1 ? defaultOut : resolve(argv[outArgument + 1]);
  loadEsbuild()
    .build({
      entryPoints: [entry],
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
    })
    .then(result => {
      const inputs = Object.keys(result.metafile.inputs);
      process.stdout.write(
        `Built ${relative(process.cwd(), outfile)} from ${
          inputs.length
        } sources\n`,
      );
    })
    .catch(error => {
      process.stderr.write(`${error?.stack ?? error}\n`);
      process.exit(1);
    });
}

module.exports = { bundle };
