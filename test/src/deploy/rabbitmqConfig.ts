import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './productionTree';

/**
 * The plugins every RabbitMQ node of a BROM deployment needs besides the management API:
 * the HTTP auth backend (the sidecar) and dynamic shovels with their status (external
 * producers, decision 0018).
 */
export const BROM_PLUGINS = [
  'rabbitmq_auth_backend_http',
  'rabbitmq_shovel',
  'rabbitmq_shovel_management',
] as const;

/** A `rabbitmq.conf` text's `auth_*` settings as [key, value] pairs, in order. */
export function authSettings(text: string): string[][] {
  return text
    .split('\n')
    .filter(line => /^\s*auth_/.test(line))
    .map(line => line.trim().split(/\s*=\s*/));
}

/** The `auth_*` settings sidecar/README.md tells operators to put in `rabbitmq.conf`. */
export function readmeAuthSettings(): string[][] {
  const readme = readFileSync(join(REPO_ROOT, 'sidecar/README.md'), 'utf8');
  return authSettings(readme.match(/```ini\n([\s\S]*?)```/)![1]);
}

/**
 * An `enabled_plugins` file read as RabbitMQ reads it (Erlang's `file:consult`): the plugin
 * names, or an error when Erlang cannot read it.
 */
export function readEnabledPlugins(path: string): string[] {
  const result = spawnSync(
    'erl',
    [
      '-noshell',
      '-eval',
      `{ok, [Plugins]} = file:consult("${path}"), io:format("~s", [lists:join(",", [atom_to_list(P) || P <- Plugins])]), halt().`,
    ],
    { encoding: 'utf8' },
  );
  if (result.error || result.status !== 0) {
    throw new Error(
      `erl could not read ${path} (RabbitMQ's Erlang is needed): ${
        result.error ?? `${result.stdout}${result.stderr}`
      }`,
    );
  }
  return result.stdout.split(',').filter(Boolean);
}

/** The plugins the installed RabbitMQ ships (the tests' node: BROM_TEST_RABBITMQ_BIN_DIR or Debian's). */
export function installedPlugins(): string[] {
  const binDir =
    process.env.BROM_TEST_RABBITMQ_BIN_DIR ?? '/usr/lib/rabbitmq/bin';
  const server = join(binDir, 'rabbitmq-server');
  if (!existsSync(server)) {
    throw new Error(`RabbitMQ is not installed: ${server} does not exist`);
  }
  const pluginsDir = join(dirname(realpathSync(server)), '..', 'plugins');
  return readdirSync(pluginsDir)
    .map(entry => entry.replace(/\.ez$/, '').replace(/-[\d.]+$/, ''))
    .filter(name => name.startsWith('rabbitmq_'));
}
