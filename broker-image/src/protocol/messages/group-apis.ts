// The group coordination, producer-id, SASL, ACL, SCRAM and reassignment APIs,
// gathered so the registry (index.ts) can add them in one line.
import type { ApiSpec } from '../schema/types.ts';
import { alterPartitionReassignments } from './alter-partition-reassignments.ts';
import { alterUserScramCredentials } from './alter-user-scram-credentials.ts';
import { createAcls } from './create-acls.ts';
import { deleteAcls } from './delete-acls.ts';
import { deleteGroups } from './delete-groups.ts';
import { describeAcls } from './describe-acls.ts';
import { describeGroups } from './describe-groups.ts';
import { describeProducers } from './describe-producers.ts';
import { describeUserScramCredentials } from './describe-user-scram-credentials.ts';
import { electLeaders } from './elect-leaders.ts';
import { findCoordinator } from './find-coordinator.ts';
import { heartbeat } from './heartbeat.ts';
import { initProducerId } from './init-producer-id.ts';
import { joinGroup } from './join-group.ts';
import { leaveGroup } from './leave-group.ts';
import { listGroups } from './list-groups.ts';
import { listPartitionReassignments } from './list-partition-reassignments.ts';
import { offsetCommit } from './offset-commit.ts';
import { offsetDelete } from './offset-delete.ts';
import { offsetFetch } from './offset-fetch.ts';
import { saslAuthenticate } from './sasl-authenticate.ts';
import { saslHandshake } from './sasl-handshake.ts';
import { syncGroup } from './sync-group.ts';

export const groupAndSecurityApis: ApiSpec[] = [
  offsetCommit,
  offsetFetch,
  findCoordinator,
  joinGroup,
  heartbeat,
  leaveGroup,
  syncGroup,
  describeGroups,
  listGroups,
  saslHandshake,
  initProducerId,
  describeAcls,
  createAcls,
  deleteAcls,
  saslAuthenticate,
  deleteGroups,
  electLeaders,
  alterPartitionReassignments,
  listPartitionReassignments,
  offsetDelete,
  describeUserScramCredentials,
  alterUserScramCredentials,
  describeProducers,
];
