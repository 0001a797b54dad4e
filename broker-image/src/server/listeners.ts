// The server socket behind one listener. PLAINTEXT today; the security
// protocols (SSL, SASL_*) plug in here so the broker's accept loop stays the same.

import { createServer, type Server, type Socket } from 'node:net';
import type { BrokerConfig, Listener } from '../config/broker-config.ts';

export function createListenerServer(listener: Listener, _config: BrokerConfig, onSocket: (socket: Socket) => void): Server {
  return createServer(onSocket);
}
