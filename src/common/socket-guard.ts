/**
 * Counts every accepted TCP socket per client address, from accept to close, and drops those
 * over the limit before the protocol library sees them. Protocol session limits only see
 * sockets that became sessions; this also bounds the ones still in a TLS handshake (a client
 * could open thousands and never send a ClientHello). Used by the SMTP and IMAP listeners on
 * their net.Server, right after the library registered its own connection handler.
 */
import type { Server, Socket } from 'node:net';
import type { Logger } from '../log';
import type { ConnectionLimiter } from '../policy/connection-limits';

type ConnectionListener = (this: Server, socket: Socket) => void;

export function guardSockets(server: Server, limiter: ConnectionLimiter, logger: Logger, service: string): void {
  // The library's handler starts a TLS handshake on the socket at once; a socket destroyed
  // under it can take the process down, so a refused socket must never reach it.
  const handlers = server.listeners('connection') as ConnectionListener[];
  server.removeAllListeners('connection');
  server.on('connection', function guarded(this: Server, socket: Socket) {
    const admitted = limiter.admitSocket(socket.remoteAddress);
    if (!admitted.admitted) {
      logger.warn({ service, client: socket.remoteAddress, limit: admitted.limit }, 'connection dropped: too many open sockets from one address');
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    socket.once('close', () => admitted.admission.release());
    for (const handler of handlers) handler.call(this, socket);
  });
}
