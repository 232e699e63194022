/*
 * The floor: a bare node:http server that answers every request `allow`, run in a child process
 * of its own exactly like the sidecar. It reads the body before answering (any real server must)
 * and gets the same cheap choices as the sidecar (preallocated body and headers, no Date header,
 * long keep-alive), so the gap to it is what the sidecar's own work costs. It listens on
 * BROM_BENCH_FLOOR_PORT (a RabbitMQ node's auth port in part 3) or on a free port.
 *
 * With BROM_BENCH_FLOOR_BATCHED=1 it also writes its answers the way the sidecar does (all the
 * answers of one event-loop turn together, in its check phase; see the sidecar's AuthServer.ts),
 * so that the benchmark can show how much of the sidecar's figure that choice alone explains.
 */
import { IncomingMessage, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';

const ALLOW = Buffer.from('allow');
const HEADERS = { 'content-type': 'text/plain', 'content-length': '5' };

function write(res: ServerResponse): void {
  res.writeHead(200, HEADERS);
  res.end(ALLOW);
}

const BATCHED = process.env.BROM_BENCH_FLOOR_BATCHED === '1';
const unwritten: ServerResponse[] = [];

function writeAll(): void {
  for (const res of unwritten) {
    write(res);
  }
  unwritten.length = 0;
}

function answer(this: IncomingMessage): void {
  const res = (this as IncomingMessage & { res: ServerResponse }).res;
  if (!BATCHED) {
    write(res);
    return;
  }
  if (unwritten.length === 0) {
    setImmediate(writeAll);
  }
  unwritten.push(res);
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
