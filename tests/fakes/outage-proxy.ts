import net from 'node:net';

// A TCP proxy in front of a real server (s3rver, a web server) that can be taken down the ways a remote store goes
// away: `refuse` resets every connection at once (as a host that is down, or a load balancer with no backend),
// `hang` accepts connections and never answers (a black-holed network path). `up` forwards bytes unchanged.

export type OutageMode = 'up' | 'refuse' | 'hang';

export interface OutageProxy {
  url: string;
  mode: OutageMode;
  /** Switches mode; connections open at the switch are cut (kept-alive ones would carry on otherwise). */
  set(mode: OutageMode): void;
  close(): Promise<void>;
}

export async function startOutageProxy(upstream: string): Promise<OutageProxy> {
  const target = new URL(upstream);
  const open = new Set<net.Socket>();
  let mode: OutageMode = 'up';
  const server = net.createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => undefined);
    if (mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (mode === 'hang') {
      client.resume(); // read and drop: never a byte back
      return;
    }
    const remote = net.connect(Number(target.port), target.hostname);
    open.add(remote);
    remote.on('close', () => open.delete(remote));
    remote.on('error', () => client.destroy());
    client.on('close', () => remote.destroy());
    remote.on('close', () => client.destroy());
    client.pipe(remote);
    remote.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const proxy: OutageProxy = {
    url: `http://127.0.0.1:${port}`,
    get mode() {
      return mode;
    },
    set(next) {
      mode = next;
      for (const socket of open) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return proxy;
}
