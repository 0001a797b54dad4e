// The registry of API schemas: API key → ApiSpec. The codec serves exactly
// the keys and request versions listed here (the router then narrows them to
// what the handlers honour).

import type { ApiSpec } from '../schema/types.ts';
import { alterConfigs } from './alter-configs.ts';
import { apiVersions } from './api-versions.ts';
import { createPartitions } from './create-partitions.ts';
import { createTopics } from './create-topics.ts';
import { deleteRecords } from './delete-records.ts';
import { deleteTopics } from './delete-topics.ts';
import { describeCluster } from './describe-cluster.ts';
import { describeConfigs } from './describe-configs.ts';
import { describeLogDirs } from './describe-log-dirs.ts';
import { fetch } from './fetch.ts';
import { groupAndSecurityApis } from './group-apis.ts';
import { incrementalAlterConfigs } from './incremental-alter-configs.ts';
import { listOffsets } from './list-offsets.ts';
import { metadata } from './metadata.ts';
import { offsetForLeaderEpoch } from './offset-for-leader-epoch.ts';
import { produce } from './produce.ts';

/** Data-path, metadata and admin APIs (protocol owner). */
export const coreApis: ApiSpec[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  offsetForLeaderEpoch,
  apiVersions,
  createTopics,
  deleteTopics,
  deleteRecords,
  describeConfigs,
  alterConfigs,
  describeLogDirs,
  createPartitions,
  incrementalAlterConfigs,
  describeCluster,
];

// ---- Other API groups: import their list and add it to `all` below. ----
const all: ApiSpec[] = [
  ...coreApis,
  ...groupAndSecurityApis, // group coordination, producer ids, SASL, ACLs, SCRAM, reassignments (group-apis.ts)
];

function buildRegistry(specs: ApiSpec[]): ReadonlyMap<number, ApiSpec> {
  const map = new Map<number, ApiSpec>();
  for (const spec of specs) {
    if (map.has(spec.apiKey)) throw new Error(`API key ${spec.apiKey} registered twice (${map.get(spec.apiKey)!.name}, ${spec.name})`);
    if (spec.request.validVersions !== spec.response.validVersions) {
      throw new Error(`${spec.name}: request and response validVersions differ`);
    }
    map.set(spec.apiKey, spec);
  }
  return map;
}

export const apis: ReadonlyMap<number, ApiSpec> = buildRegistry(all);
