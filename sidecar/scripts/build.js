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
 */
const { dirname, join, relative, resolve } = require('node:path');

const root = join(__dirname, '..');
// `--out FILE` builds elsewhere (the tests build into a temporary directory).
const outArgument = process.argv.indexOf('--out');
const outfile =
  outArgument === -1
    ? join(root, 'dist', 'main.js')
    : resolve(process.argv[outArgument + 1]);

/**
 * The esbuild that Backstage's own build tooling (@backstage/cli, a devDependency) runs, resolved
 * from there rather than declared again.
 */
function loadEsbuild() {
  const cli = dirname(require.resolve('@backstage/cli/package.json'));
  const buildModule = dirname(
    require.resolve('@backstage/cli-module-build/package.json', {
      paths: [cli],
    }),
  );
  return require(require.resolve('esbuild', { paths: [buildModule] }));
}

async function main() {
  const pkg = require(join(root, 'package.json'));
  const esbuild = loadEsbuild();
  const result = await esbuild.build({
    entryPoints: [join(root, 'src', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // Runtime dependencies are installed beside the sidecar; only workspace packages, which
    // exist as TypeScript source, are compiled in.
    external: Object.keys(pkg.dependencies ?? {}).filter(
      name => !name.startsWith('@internal/'),
    ),
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
