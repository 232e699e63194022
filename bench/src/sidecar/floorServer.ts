/*
 * The floor: a bare node:http server that answers every request `allow`, run in a child process
 * of its own exactly like the sidecar. It reads the body before answering (any real server must)
 * and gets the same cheap choices as the sidecar (preallocated body and headers, no Date header,
 * long keep-alive), so the gap to it is what the sidecar's own work costs. It listens on
 * BROM_BENCH_FLOOR_PORT (a RabbitMQ node's auth port in part 3) or on a free port.
 */
import { IncomingMessage, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';

const ALLOW = Buffer.from('allow');
const HEADERS = { 'content-type': 'text/plain', 'content-length': '5' };

function answer(this: IncomingMessage): void {
  const res = (this as IncomingMessage & { res: ServerResponse }).res;
  res.writeHead(200, HEADERS);
  res.end(ALLOW);
}

const server = createServer(
  { keepAliveTimeout: 150_000, noDelay: true, requireHostHeader: false },
  (req, res) => {
    res.sendDate = false;
    (req as IncomingMessage & { res: ServerResponse }).res = res;
    req.on('end', answer);
    req.resume();
  },
);
server.keepAliveTimeout = 150_000;
server.timeout = 0;

server.listen(
  Number(process.env.BROM_BENCH_FLOOR_PORT ?? 0),
  '127.0.0.1',
  () => {
    process.send!({
      type: 'listening',
      port: (server.address() as AddressInfo).port,
    });
  },
);
process.on('message', (message: { type: string }) => {
  if (message.type === 'exit') {
    process.exit(0);
  }
});
