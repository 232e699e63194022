#!/usr/bin/env node
// `npm start`: runs scripts/start.ts from source through Backstage's SWC transform.
require('@backstage/cli/config/nodeTransform.cjs');
require('./start.ts').main();
