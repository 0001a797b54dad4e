// The one error type the wire decoders throw for malformed input: truncated
// data, lengths that point past the end of the buffer, negative lengths where
// null is not allowed, varints that do not terminate. The server closes the
// connection on it (Kafka does the same for a request it cannot parse).

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}
