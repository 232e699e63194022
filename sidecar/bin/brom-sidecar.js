#!/usr/bin/env node
/*
 * Runs the sidecar from its TypeScript sources. Backstage does not compile node-library
 * packages for runtime; its CLI ships the same SWC transform it uses to run backends from
 * source, registered here for every later require.
 */
require('@backstage/cli/config/nodeTransform.cjs');

require('../src/main')
  .runFromEnvironment()
  .catch(error => {
    process.stderr.write(
      `${JSON.stringify({
        level: 'error',
        msg: 'Sidecar failed to start',
        error: error instanceof Error ? error.message : String(error),
      })}\n`,
    );
    process.exit(1);
  });
