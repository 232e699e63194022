import type { RabbitNode } from '../rabbitmq/RabbitNode';
import { RABBITMQ_ENV } from '../rabbitmq/testRabbit';
import { NODE_KEY } from './globalSetup';

export default async function globalTeardown(): Promise<void> {
  const store = globalThis as Record<string, unknown>;
  const node = store[NODE_KEY] as RabbitNode | undefined;
  if (!node) {
    return;
  }
  delete store[NODE_KEY];
  // In watch mode the next run calls the setup again in this same process;
  // it must start a new node rather than reuse the stopped one's address.
  delete process.env[RABBITMQ_ENV];
  await node.stop();
}
