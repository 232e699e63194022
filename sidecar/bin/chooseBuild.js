/*
 * Which build of the sidecar bin/brom-sidecar.js runs. Plain JavaScript: it runs before any
 * transform is registered.
 */
const { readdirSync, statSync } = require('node:fs');

/** Newest modification time of the .ts files under a directory; 0 when it does not exist. */
function newestSource(directory) {
  let entries;
  try {
    entries = readdirSync(directory, { withFileTypes: true });
  } catch {
    return 0;
  }
  let newest = 0;
  for (const entry of entries) {
    const path = `${directory}/${entry.name}`;
    if (entry.isDirectory()) {
      newest = Math.max(newest, newestSource(path));
    } else if (entry.name.endsWith('.ts')) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

/**
 * 'compiled' when the compiled file exists and no source it is built from is newer (an
 * installation that ships without sources counts as current); otherwise 'source'.
 * BROM_SIDECAR_RUN_FROM_SOURCE=1 in `env` forces 'source'.
 *
 * @param {{ compiled: string, sourceDirectories: Array<string | undefined>, env: Record<string, string | undefined> }} options
 * @returns {'compiled' | 'source'}
 */
function chooseBuild(options) {
  if (options.env.BROM_SIDECAR_RUN_FROM_SOURCE === '1') {
    return 'source';
  }
  let builtMs;
  try {
    builtMs = statSync(options.compiled).mtimeMs;
  } catch {
    return 'source';
  }
  for (const directory of options.sourceDirectories) {
    if (directory && newestSource(directory) > builtMs) {
      return 'source';
    }
  }
  return 'compiled';
}

module.exports = { chooseBuild };
