/**
 * The node:http plumbing the gateway and the emulator share: listen, show the address, close with
 * idle keep-alive sockets. A leaf module, so the emulator does not load the gateway's modules.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on `host:port` (0: any free port); resolves with `displayUrl` of the address it got. */
export function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(displayUrl(server.address() as AddressInfo));
    });
  });
}

/** `http://host:port` for an address a server listens on; a wildcard address shows as one a client can call. */
function displayUrl(address: AddressInfo): string {
  const host =
    address.address === '0.0.0.0'
      ? '127.0.0.1'
      : address.address === '::'
        ? 'localhost'
        : address.family === 'IPv6'
          ? `[${address.address}]`
          : address.address;
  return `http://${host}:${address.port}`;
}

/**
 * Stops accepting and resolves once every connection has closed: in-flight requests finish first,
 * and keep-alive sockets are closed as soon as they are idle (they would otherwise hold close() open).
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    server.once('close', () => clearInterval(sweep));
  });
}
