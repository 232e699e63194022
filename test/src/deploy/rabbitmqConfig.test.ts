import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './productionTree';
import {
  BROM_PLUGINS,
  authSettings,
  installedPlugins,
  readEnabledPlugins,
  readmeAuthSettings,
} from './rabbitmqConfig';

/*
 * The RabbitMQ configuration each deploy flavour ships: the plugins BROM needs (the sidecar's
 * HTTP auth backend, the shovels of external producers) and the auth lines of
 * sidecar/README.md. `enabled_plugins` is read by Erlang as RabbitMQ reads it, and every plugin
 * it names must exist in the RabbitMQ the tests run (3.10, as in production).
 */

interface Flavour {
  plugins: string[];
  /** Whether the flavour enables the management API itself (the cluster operator does). */
  managementByOperator: boolean;
  config: string;
}

function kubernetes(): Flavour {
  const cluster = parseAllDocuments(
    readFileSync(join(REPO_ROOT, 'deploy/kubernetes/rabbitmq.yaml'), 'utf8'),
  )
    .map(document => document.toJS())
    .find(d => d.kind === 'RabbitmqCluster');
  return {
    plugins: cluster.spec.rabbitmq.additionalPlugins,
    managementByOperator: true,
    config: cluster.spec.rabbitmq.additionalConfig,
  };
}

function files(flavour: 'docker' | 'systemd'): Flavour {
  const dir = join(REPO_ROOT, 'deploy', flavour, 'rabbitmq');
  return {
    plugins: readEnabledPlugins(join(dir, 'enabled_plugins')),
    managementByOperator: false,
    config: readFileSync(join(dir, 'rabbitmq.conf'), 'utf8'),
  };
}

const FLAVOURS: Record<string, () => Flavour> = {
  docker: () => files('docker'),
  kubernetes,
  systemd: () => files('systemd'),
};

describe.each(Object.keys(FLAVOURS))('deploy/%s: RabbitMQ', name => {
  it('enables the HTTP auth backend and the shovel plugins, all of them known to RabbitMQ', () => {
    const flavour = FLAVOURS[name]();
    const required = flavour.managementByOperator
      ? [...BROM_PLUGINS]
      : ['rabbitmq_management', ...BROM_PLUGINS];
    expect(flavour.plugins).toEqual(expect.arrayContaining(required));
    const known = new Set(installedPlugins());
    expect(flavour.plugins.filter(plugin => !known.has(plugin))).toEqual([]);
  });

  it('points the node at the sidecar as sidecar/README.md says', () => {
    expect(authSettings(FLAVOURS[name]().config)).toEqual(readmeAuthSettings());
  });
});
