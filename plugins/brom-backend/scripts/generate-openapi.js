// @ts-check
/*
 * Writes src/schema/openapi.generated.ts from src/schema/openapi.yaml: the document as a
 * `const` object, so @backstage/backend-openapi-utils types the router's handlers from it and
 * validates requests against it. The yaml is the contract; the generated file is committed
 * and src/schema/openapi.test.ts fails when it no longer matches. Run after editing the yaml:
 *
 *   npm run generate:openapi --workspace @internal/plugin-brom-backend
 */
const { readFileSync, writeFileSync } = require('node:fs');
const { resolve } = require('node:path');
const { parse } = require('yaml');

const YAML_FILE = resolve(__dirname, '../src/schema/openapi.yaml');
const GENERATED_FILE = resolve(__dirname, '../src/schema/openapi.generated.ts');

const METHODS = [
  'get',
  'put',
  'post',
  'delete',
  'options',
  'head',
  'patch',
  'trace',
];

/**
 * The library types a handler's `req.params` from its operation's parameters only, so the
 * parameters the yaml declares once for a whole path are copied into each of its operations
 * (which means the same in OpenAPI).
 */
function withOperationParameters(document) {
  const paths = {};
  for (const [path, { parameters, ...item }] of Object.entries(
    document.paths,
  )) {
    paths[path] = item;
    if (!parameters) continue;
    for (const method of METHODS) {
      if (item[method]) {
        item[method] = {
          ...item[method],
          parameters: [...parameters, ...(item[method].parameters ?? [])],
        };
      }
    }
  }
  return { ...document, paths };
}

/** The TypeScript module for the given yaml text. */
function renderOpenApiModule(yamlText) {
  const spec = JSON.stringify(
    withOperationParameters(parse(yamlText)),
    null,
    2,
  );
  return `// Generated from openapi.yaml by scripts/generate-openapi.js; do not edit.
/* eslint-disable */
import { createValidatedOpenApiRouter } from '@backstage/backend-openapi-utils';

export const spec = ${spec} as const;

export const createOpenApiRouter = async (
  options?: Parameters<typeof createValidatedOpenApiRouter>['1'],
) => createValidatedOpenApiRouter<typeof spec>(spec, options);
`;
}

module.exports = { YAML_FILE, GENERATED_FILE, renderOpenApiModule };

if (require.main === module) {
  writeFileSync(
    GENERATED_FILE,
    renderOpenApiModule(readFileSync(YAML_FILE, 'utf8')),
  );
}
