// Just enough of the consumer protocol's subscription (ConsumerProtocolSubscription,
// versions 0–3, never flexible) to learn which topics a member consumes: OffsetDelete
// must refuse to drop offsets of subscribed topics.

/** The topics of a consumer subscription, or null when the bytes are not one. */
export function subscribedTopics(subscription: Buffer): string[] | null {
  try {
    let pos = 2; // int16 version; every version starts with the topic array
    const count = subscription.readInt32BE(pos);
    pos += 4;
    if (count < 0) return null;
    const topics: string[] = [];
    for (let i = 0; i < count; i++) {
      const len = subscription.readInt16BE(pos);
      pos += 2;
      if (len < 0 || pos + len > subscription.length) return null;
      topics.push(subscription.toString('utf8', pos, pos + len));
      pos += len;
    }
    return topics;
  } catch {
    return null;
  }
}
