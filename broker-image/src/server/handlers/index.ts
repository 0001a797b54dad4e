// Every API the broker serves, one handler per API key.

import type { ApiHandler } from '../handler.ts';
import { alterConfigs } from './alter-configs.ts';
import { apiVersions } from './api-versions.ts';
import { createPartitions } from './create-partitions.ts';
import { createTopics } from './create-topics.ts';
import { deleteRecords } from './delete-records.ts';
import { deleteTopics } from './delete-topics.ts';
import { describeCluster } from './describe-cluster.ts';
import { describeConfigs } from './describe-configs.ts';
import { fetch } from './fetch.ts';
import { findCoordinator } from './find-coordinator.ts';
import { groupHandlers } from './groups.ts';
import { incrementalAlterConfigs } from './incremental-alter-configs.ts';
import { listOffsets } from './list-offsets.ts';
import { initProducerId } from './init-producer-id.ts';
import { metadata } from './metadata.ts';
import { offsetForLeaderEpoch } from './offset-for-leader-epoch.ts';
import { produce } from './produce.ts';
import { saslAuthenticate } from './sasl-authenticate.ts';
import { saslHandshake } from './sasl-handshake.ts';
import { alterUserScramCredentials } from './alter-user-scram-credentials.ts';
import { describeUserScramCredentials } from './describe-user-scram-credentials.ts';

export const allHandlers: ApiHandler[] = [
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
  createPartitions,
  incrementalAlterConfigs,
  describeCluster,
  initProducerId,
  findCoordinator,
  ...groupHandlers,
  saslHandshake,
  saslAuthenticate,
  describeUserScramCredentials,
  alterUserScramCredentials,
];
