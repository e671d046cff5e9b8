/**
 * A TCP proxy in front of the test node's API server that a test can take down and bring back on
 * the same port: to the client it is the API server going away mid-rollout (connections reset,
 * new ones refused) and coming back. TLS passes through untouched; the server's certificate
 * names 127.0.0.1, so a kubeconfig pointing at the proxy's port verifies as usual.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { freePort } from './daemon.ts';
import type { KubeNode } from './kube-node.ts';

export interface TcpProxy {
  port: number;
  /** Connections accepted since the proxy started. */
  accepted: number;
  down(): Promise<void>;
  up(): Promise<void>;
}

export async function tcpProxy(
  t: Pick<TestContext, 'after'>,
  target: { host: string; port: number },
  /** Where it listens: another address of this machine, e.g. the test node's bridge, for pods. */
  listenHost = '127.0.0.1',
): Promise<TcpProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const proxy: TcpProxy = {
    port,
    accepted: 0,
    async up() {
      server = createServer((client) => {
        proxy.accepted++;
        const upstream = connect(target.port, target.host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((resolve) => server!.listen(port, listenHost, resolve));
    },
    async down() {
      const s = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  await proxy.up();
  t.after(() => proxy.down());
  return proxy;
}

/**
 * The node's registry as pods see it, `10.213.0.1:PORT`: a door on the node's bridge address
 * (a pod's 127.0.0.1 is its own). Plain HTTP, and not localhost, so steps pulling through it need
 * insecure-registry.
 */
export async function podRegistry(t: Pick<TestContext, 'after'>, node: KubeNode): Promise<string> {
  const [host, port] = node.registry.split(':');
  const door = await tcpProxy(t, { host: host!, port: Number(port) }, node.nodeIp);
  return `${node.nodeIp}:${door.port}`;
}
