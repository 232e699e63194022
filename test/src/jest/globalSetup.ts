import { RabbitNode } from '../rabbitmq/RabbitNode';
import { RABBITMQ_ENV, parseRabbitNodeInfo } from '../rabbitmq/testRabbit';

/*
 * Runs once per Jest run, in the main Jest process, before any worker
 * starts: workers inherit the environment variable set here. The node object
 * itself stays in this process for the teardown.
 */

export const NODE_KEY = '__bromTestRabbitNode';

export default async function globalSetup(): Promise<void> {
  const given = process.env[RABBITMQ_ENV];
  if (given) {
    // A node supplied from outside (e.g. one kept running while iterating on
    // a test); check it early so a typo fails here, not in every test.
    parseRabbitNodeInfo(given);
    return;
  }
  const node = await RabbitNode.start();
  (globalThis as Record<string, unknown>)[NODE_KEY] = node;
  process.env[RABBITMQ_ENV] = JSON.stringify(node.info);
}
