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

/** The partitions in a consumer assignment (ConsumerProtocolAssignment v0–3), or null when the bytes are not one. */
export function assignedPartitions(assignment: Buffer): { topic: string; partitions: number[] }[] | null {
  try {
    if (assignment.length < 6) return assignment.length === 0 ? [] : null;
    let pos = 2; // int16 version
    const count = assignment.readInt32BE(pos);
    pos += 4;
    if (count < 0) return null;
    const out: { topic: string; partitions: number[] }[] = [];
    for (let i = 0; i < count; i++) {
      const len = assignment.readInt16BE(pos);
      pos += 2;
      if (len < 0 || pos + len > assignment.length) return null;
      const topic = assignment.toString('utf8', pos, pos + len);
      pos += len;
      const n = assignment.readInt32BE(pos);
      pos += 4;
      if (n < 0 || pos + 4 * n > assignment.length) return null;
      const partitions: number[] = [];
      for (let j = 0; j < n; j++, pos += 4) partitions.push(assignment.readInt32BE(pos));
      out.push({ topic, partitions });
    }
    return out;
  } catch {
    return null;
  }
}
