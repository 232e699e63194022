#!/usr/bin/env node
// `npm test`: every package's tests, the integration tests against a private RabbitMQ node
// and PostgreSQL, and the browser end-to-end test, in one Jest run.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const prepare = spawnSync('bash', [path.join(root, 'test/scripts/prepare-postgres.sh')], {
  stdio: 'inherit',
});
if (prepare.status !== 0) {
  console.error('PostgreSQL is not available for the tests; see test/README.md');
  process.exit(prepare.status ?? 1);
}

const env = {
  ...process.env,
  // backstage-cli adds --watch unless CI is set.
  CI: 'true',
  BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING:
    process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
    'postgresql://postgres:postgres@127.0.0.1:5432',
  // There is no Docker engine here; PostgreSQL comes from the connection string above.
  BACKSTAGE_TEST_DISABLE_DOCKER: '1',
};
const result = spawnSync(
  'npx',
  ['backstage-cli', 'repo', 'test', ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit', env },
);
process.exit(result.status ?? 1);
