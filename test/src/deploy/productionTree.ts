import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, posix } from 'node:path';

/** The repository root, where package-lock.json and the workspaces are (this package is test/). */
export const REPO_ROOT = join(
  dirname(require.resolve('@internal/brom-test/package.json')),
  '..',
);

/** What `npm run build` leaves for production, relative to the repository root. */
export const BUILD_ARTIFACTS = [
  'packages/backend/dist/index.js',
  'packages/backend/dist/instrumentation.js',
  'packages/app/dist/index.html',
  'sidecar/dist/main.js',
];

function built(): boolean {
  return BUILD_ARTIFACTS.every(path => existsSync(join(REPO_ROOT, path)));
}

const BUILD_TIMEOUT_MS = 15 * 60_000;

/**
 * Runs the README's `npm run build` when an artifact is missing, so `npm test` on a fresh
 * clone tests what production runs. CI builds first (.ci/run), so there it finds them all.
 * Test files run in parallel workers: a lock directory lets one of them build while the
 * others wait for it.
 */
export async function ensureBuilt(): Promise<void> {
  const lock = join(REPO_ROOT, 'node_modules', '.brom-build-lock');
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  while (!built()) {
    try {
      mkdirSync(lock);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `Waited too long for another test's npm run build (lock ${lock})`,
        );
      }
      await new Promise(resolve => setTimeout(resolve, 1000));
      continue;
    }
    try {
      if (!built()) {
        // Jest's NODE_ENV=test would select no browserslist environment of packages/app.
        const { NODE_ENV: _jest, ...env } = process.env;
        execFileSync('npm', ['run', 'build'], {
          cwd: REPO_ROOT,
          env,
          stdio: 'inherit',
          timeout: BUILD_TIMEOUT_MS,
        });
      }
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

interface LockEntry {
  link?: boolean;
  resolved?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

type LockPackages = Record<string, LockEntry>;

/**
 * Where Node finds package `name` from the package at lockfile location `from` (e.g.
 * `packages/backend`, `node_modules/a/node_modules/b`): the nearest `node_modules/name` up
 * the path, as npm laid it out.
 */
function resolveLocation(
  packages: LockPackages,
  from: string,
  name: string,
): string | undefined {
  for (let dir = from; ; dir = posix.dirname(dir)) {
    const base = dir === '.' ? '' : dir;
    if (!base.endsWith('node_modules')) {
      const candidate = base
        ? `${base}/node_modules/${name}`
        : `node_modules/${name}`;
      if (packages[candidate]) {
        return candidate;
      }
    }
    if (base === '') {
      return undefined;
    }
  }
}

/**
 * The lockfile locations `npm ci --omit=dev --workspace <workspace>` installs for a
 * workspace: its dependencies (with optional and peer ones npm installs), transitively,
 * following workspace links. Never a devDependency of any package.
 */
export function productionClosure(
  packages: LockPackages,
  workspace: string,
): Set<string> {
  const closure = new Set<string>();
  const pending = [workspace];
  while (pending.length > 0) {
    const location = pending.pop()!;
    if (closure.has(location)) {
      continue;
    }
    closure.add(location);
    const entry = packages[location];
    if (entry.link && entry.resolved) {
      pending.push(entry.resolved);
      continue;
    }
    const required = Object.keys(entry.dependencies ?? {});
    const optional = [
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...Object.keys(entry.peerDependencies ?? {}),
    ];
    for (const name of required) {
      const found = resolveLocation(packages, location, name);
      if (!found) {
        throw new Error(
          `${location} needs ${name}, which package-lock.json does not hold`,
        );
      }
      pending.push(found);
    }
    for (const name of optional) {
      const found = resolveLocation(packages, location, name);
      if (found) {
        pending.push(found);
      }
    }
  }
  return closure;
}

/**
 * Lays out in `dir` what a production install of the backend holds, without installing:
 * package.json, the production configuration, the built backend in dist/, and a node_modules
 * of symbolic links to only the top-level packages of the backend's production closure
 * (workspaces link to their folders, which carry the frontend bundle and the migrations).
 * Run with `node --preserve-symlinks`, so a package required from there resolves its own
 * dependencies inside this tree, never from the repository's full node_modules: anything only
 * a devDependency brings fails to load, as it would after `npm ci --omit=dev`.
 */
export function layOutProductionBackend(dir: string): void {
  const lock = JSON.parse(
    readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8'),
  );
  const packages: LockPackages = lock.packages;
  for (const location of productionClosure(packages, 'packages/backend')) {
    const topLevel = /^node_modules\/(@[^/]+\/)?[^/]+$/.test(location);
    if (!topLevel) {
      continue;
    }
    const entry = packages[location];
    const target = join(
      REPO_ROOT,
      entry.link && entry.resolved ? entry.resolved : location,
    );
    const link = join(dir, location);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(target, link, 'dir');
  }
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'brom-production', private: true }),
  );
  copyFileSync(
    join(REPO_ROOT, 'app-config.production.yaml'),
    join(dir, 'app-config.production.yaml'),
  );
  mkdirSync(join(dir, 'dist'));
  for (const file of ['index.js', 'index.js.map', 'instrumentation.js']) {
    copyFileSync(
      join(REPO_ROOT, 'packages/backend/dist', file),
      join(dir, 'dist', file),
    );
  }
}
