// The group leader's assignment: balanced and sticky. A partition stays with the
// replica serving it now (from the owner records in the state topic) unless that
// replica has more than its share; the rest go to the least loaded. Sticky matters
// here more than for plain consumers: moving a partition ends the StreamingPull
// streams routed to it and makes its outstanding messages due again.
//
// Every member's subscription carries its replica ID as user data; topics are the
// union of what the members asked for (one that has not yet seen a new subscription
// in the log still gets its share of the new topic).

export interface MemberSubscription {
  topics?: string[];
  metadata?: Buffer | string;
}

export interface Assignment {
  memberId: string;
  assignments: Map<string, { topic: string; partitions: number[] }>;
}

export function assignPartitions(
  members: Map<string, MemberSubscription>,
  partitionsOf: (topic: string) => number,
  currentOwner: (topic: string, partition: number) => string | null,
): Assignment[] {
  const ids = [...members.keys()].sort();
  const byReplica = new Map<string, string>();
  const topics = new Set<string>();
  for (const [id, m] of members) {
    const replica = m.metadata ? m.metadata.toString() : '';
    if (replica) byReplica.set(replica, id);
    for (const t of m.topics ?? []) topics.add(t);
  }
  const all: [string, number][] = [];
  for (const t of [...topics].sort()) for (let p = 0; p < partitionsOf(t); p++) all.push([t, p]);
  const quota = Math.ceil(all.length / Math.max(1, ids.length));
  const count = new Map(ids.map((id) => [id, 0]));
  const out = new Map<string, Map<string, { topic: string; partitions: number[] }>>(ids.map((id) => [id, new Map()]));
  const give = (id: string, t: string, p: number) => {
    const m = out.get(id)!;
    let a = m.get(t);
    if (!a) m.set(t, (a = { topic: t, partitions: [] }));
    a.partitions.push(p);
    count.set(id, count.get(id)! + 1);
  };
  const rest: [string, number][] = [];
  for (const [t, p] of all) {
    const owner = currentOwner(t, p);
    const id = owner === null ? undefined : byReplica.get(owner);
    if (id !== undefined && count.get(id)! < quota) give(id, t, p);
    else rest.push([t, p]);
  }
  for (const [t, p] of rest) {
    let best = ids[0];
    for (const id of ids) if (count.get(id)! < count.get(best)!) best = id;
    give(best, t, p);
  }
  return ids.map((memberId) => ({ memberId, assignments: out.get(memberId)! }));
}
