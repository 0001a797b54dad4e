// The server socket behind one listener: plain TCP for PLAINTEXT and
// SASL_PLAINTEXT, node:tls for SSL and SASL_SSL. Connection limits are applied
// at TCP accept, before a TLS handshake costs anything; a handshake that does
// not finish within connections.authentication.timeout.ms is dropped. The
// broker's accept loop gets only sockets that passed all of that.

import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import { ConfigError, type BrokerConfig, type Listener } from '../config/broker-config.ts';
import { BrokerSecurity } from '../security/broker-security.ts';
import { tlsPrincipal, tlsRefusal, tlsServerOptions } from '../security/tls.ts';

export function createListenerServer(listener: Listener, config: BrokerConfig, onSocket: (socket: Socket) => void): Server {
  const security = BrokerSecurity.for(config);
  const { tls } = security.listener(listener); // parsed now: a bad keystore fails the broker's start
  const interBroker = listener.name === (config.raw.get('inter.broker.listener.name')?.toUpperCase() ?? config.listeners[0]!.name);
  const admit = (raw: Socket): boolean => {
    if (security.limiter.admit(raw, interBroker) === null) return true;
    raw.destroy();
    return false;
  };
  if (!tls) {
    return createServer((socket) => {
      if (admit(socket)) onSocket(socket);
    });
  }
  let context: TlsOptions;
  try {
    // Key, certificate and password problems surface here, at start, not with the first client.
    context = tlsServerOptions(tls, security.limits.authenticationTimeoutMs);
    createSecureContext(context);
  } catch (err) {
    throw new ConfigError(`listener ${listener.name}: TLS setup failed: ${(err as Error).message} (check ssl.keystore.*, ssl.key.password, ssl.truststore.*)`);
  }
  const server = createTlsServer(context, (socket: TLSSocket) => {
    // `requested` lets a bad certificate finish the handshake; no mapping rule for the subject: refused too.
    if ((tls.clientAuth === 'requested' && tlsRefusal(socket)) || tlsPrincipal(socket, tls.principalRules) === null) {
      socket.destroy();
      return;
    }
    onSocket(socket);
  });
  // Before node:tls wraps the socket: a refused connection never starts a handshake.
  server.prependListener('connection', (raw: Socket) => {
    admit(raw);
  });
  // Failed or timed-out handshakes. With a listener here node:tls leaves the socket open: close it.
  server.on('tlsClientError', (_err, socket) => {
    security.stats.tlsHandshakeFailures++;
    socket.destroy();
  });
  return server;
}
