import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { ManagementRequestError } from '@internal/rabbitmq-management';
import { findFreePorts, isPortOpen, pollUntil } from '../process';
import { RabbitNode } from '../rabbitmq/RabbitNode';

/**
 * Processes that belong to a node: their command line or environment names
 * its directory (beam, epmd and rabbitmqctl get HOME inside it, the watchdog
 * gets it as an argument).
 */
function processesUsing(dataDir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter(name => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      if (cmdline.includes(dataDir) || environ.includes(dataDir)) {
        found.push(`${pid} ${cmdline.replace(/\0/g, ' ').slice(0, 120)}`);
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

describe('a dedicated RabbitMQ node', () => {
  it('points its auth backend at the given port, restarts with its data and leaves nothing behind', async () => {
    const [authPort] = await findFreePorts(1);
    const node = await RabbitNode.start({
      authPort,
      authRequestTimeoutMs: 2000,
    });
    try {
      expect(node.ports.auth).toBe(authPort);
      const environment = await node.rabbitmqctl([
        'eval',
        '{application:get_env(rabbitmq_auth_backend_http, user_path), application:get_env(rabbit, auth_backends), application:get_env(rabbitmq_auth_backend_http, request_timeout)}.',
      ]);
      expect(environment).toContain(`"http://127.0.0.1:${authPort}/auth/user"`);
      expect(environment).toMatch(
        /rabbit_auth_backend_internal,\s*rabbit_auth_backend_http/,
      );
      expect(environment).toContain('2000');

      const management = node.managementClient();
      try {
        await management.putVhost('brom');
        await management.putQueue('brom', 'brom.billing', {
          arguments: { 'x-queue-type': 'quorum' },
        });

        // The broker's OS process is the Erlang VM (the benchmark samples its CPU).
        const pid = node.brokerPid;
        expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('beam');

        await node.stopBroker();
        expect(node.isBrokerRunning).toBe(false);
        expect(node.brokerPid).toBeUndefined();
        expect(await isPortOpen(node.ports.amqp)).toBe(false);
        const down = await management.getOverview().catch(e => e);
        expect(down).toBeInstanceOf(ManagementRequestError);
        expect(down.message).toContain('GET /api/overview failed');

        await node.startBroker();
        expect(node.isBrokerRunning).toBe(true);
        const overview = await management.getOverview();
        expect(overview.node).toBe(node.nodeName);
        // Durable definitions survive the restart.
        expect((await management.getQueue('brom', 'brom.billing')).type).toBe(
          'quorum',
        );

        await node.restart();
        expect((await management.getOverview()).node).toBe(node.nodeName);
      } finally {
        await management.close();
      }
    } finally {
      await node.stop();
    }

    expect(existsSync(node.dataDir)).toBe(false);
    expect(processesUsing(node.dataDir)).toEqual([]);
    for (const port of [
      node.ports.amqp,
      node.ports.management,
      node.ports.dist,
      node.ports.epmd,
    ]) {
      expect(await isPortOpen(port)).toBe(false);
    }
  });

  it('is cleaned up when the process that started it is killed', async () => {
    const owner = spawn(
      process.execPath,
      [
        '--require',
        require.resolve('@backstage/cli/config/nodeTransform.cjs'),
        require.resolve('./fixtures/startNodeAndHang.ts'),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const ownerExited = new Promise(resolve => owner.once('exit', resolve));
    try {
      const [line] = await Promise.race([
        createInterface({ input: owner.stdout! })
          [Symbol.asyncIterator]()
          .next()
          .then(result => [result.value as string | undefined]),
        ownerExited.then(() => [undefined]),
      ]);
      if (!line) {
        throw new Error('the child process exited without starting a node');
      }
      const started = JSON.parse(line) as {
        dataDir: string;
        ports: { amqp: number };
      };
      expect(processesUsing(started.dataDir)).not.toEqual([]);
      expect(await isPortOpen(started.ports.amqp)).toBe(true);

      // SIGKILL: no 'exit' hook, no teardown; only the watchdog is left.
      owner.kill('SIGKILL');
      await ownerExited;

      await pollUntil(
        async () =>
          !existsSync(started.dataDir) &&
          processesUsing(started.dataDir).length === 0
            ? true
            : undefined,
        {
          timeoutMs: 30_000,
          describe: () =>
            `processes of the orphaned node to end: ${processesUsing(
              started.dataDir,
            ).join('; ')}`,
        },
      );
      expect(await isPortOpen(started.ports.amqp)).toBe(false);
    } finally {
      owner.kill('SIGKILL');
    }
  });
});
