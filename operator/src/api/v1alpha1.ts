// The kafka.tributary.dev/v1alpha1 API: KafkaCluster and KafkaTopic. The schemas
// below are the single source of truth: the TypeScript types are inferred from
// them and crds/*.yaml is generated from them (src/api/generate.ts).
import { arr, bool, def, enumOf, free, freeList, int, intOrString, mapOf, obj, req, str } from './schema.ts';
import type { Infer } from './schema.ts';

export const GROUP = 'kafka.tributary.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Annotations and labels users set on the custom resources. */
export const ANNOTATIONS = {
  /** "true": the operator leaves the resource alone (status says so). */
  pause: `${GROUP}/pause-reconciliation`,
  /** KafkaTopic "false": stop managing the topic; deleting the resource leaves the topic. */
  managed: `${GROUP}/managed`,
  /** KafkaCluster: any new value rolls every broker (a manual rolling restart). */
  restartAt: `${GROUP}/restart-at`,
} as const;
/** KafkaTopic label naming its cluster (alternative to spec.clusterRef). */
export const CLUSTER_LABEL = `${GROUP}/cluster`;
export const TOPIC_FINALIZER = `${GROUP}/topic`;

const condition = obj({
  type: req(str({ maxLength: 316 })),
  status: req(enumOf(['True', 'False', 'Unknown'] as const)),
  observedGeneration: int({ format: 'int64', minimum: 0 }),
  lastTransitionTime: req(str({ format: 'date-time' })),
  reason: req(str({ maxLength: 1024, pattern: '^([A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?)?$' })),
  message: str({ maxLength: 32768 }),
});
export type Condition = Infer<typeof condition>;

const conditions = arr(condition, {
  description: 'Ready (summary), Reconciling (work in progress) and Warning (something the user must fix), in the metav1.Condition shape.',
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
});

const quantity = intOrString({ pattern: '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$' });

const listener = obj({
  name: req(str({ pattern: '^[a-z][a-z0-9]{0,10}$', description: 'Listener name (lower case), unique in the cluster.' })),
  port: req(int({ minimum: 1024, maximum: 65535, description: 'Port the brokers listen on for this listener.' })),
  type: def(enumOf(['internal', 'nodeport', 'loadbalancer'] as const, { description: 'internal: reachable inside the Kubernetes cluster.' }), 'internal'),
  tls: def(bool({ description: 'TLS encryption on this listener.' }), false),
  authentication: obj({
    type: req(enumOf(['scram-sha-512', 'plain', 'tls'] as const)),
  }, { description: 'Client authentication on this listener; absent for none.' }),
});
export type Listener = Infer<typeof listener>;

const podTemplate = obj({
  metadata: obj({
    labels: mapOf(str()),
    annotations: mapOf(str()),
  }),
  affinity: free({ description: 'A core/v1 Affinity, merged with the rack-awareness anti-affinity.' }),
  tolerations: freeList({ description: 'core/v1 Tolerations.' }),
  nodeSelector: mapOf(str()),
  priorityClassName: str(),
  terminationGracePeriodSeconds: def(int({ minimum: 0, maximum: 3600 }), 30),
});

export const kafkaClusterSpec = obj({
  replicas: def(int({ minimum: 1, maximum: 64, description: 'Number of brokers.' }), 3),
  version: def(str({ pattern: '^[0-9]+\\.[0-9]+\\.[0-9]+$', description: 'Tributary version; selects the default image.' }), '0.1.0'),
  image: str({ minLength: 1, description: 'Broker image; default tributary/broker:<version>.' }),
  imagePullPolicy: def(enumOf(['Always', 'IfNotPresent', 'Never'] as const), 'IfNotPresent'),
  config: free<Record<string, string | number | boolean>>({
    description: 'Broker configuration (server.properties keys, values are scalars). Checked by the operator against the keys the broker knows; keys the operator sets itself (node.id, listeners, log.dirs, ...) are refused.',
  }),
  listeners: def(arr(listener, {
    minItems: 1, maxItems: 8,
    'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'],
  }), [{ name: 'plain', port: 9092, type: 'internal', tls: false }]),
  storage: def(obj({
    type: def(enumOf(['ephemeral', 'persistent-claim'] as const), 'persistent-claim'),
    size: def(str({ pattern: '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$' }), '10Gi'),
    class: str({ description: 'StorageClass; the cluster default when absent.' }),
    deleteClaim: def(bool({ description: 'Delete the PersistentVolumeClaims when the KafkaCluster is deleted.' }), false),
  }), { type: 'persistent-claim', size: '10Gi', deleteClaim: false }),
  resources: obj({
    requests: mapOf(quantity),
    limits: mapOf(quantity),
  }),
  rack: obj({
    topologyKey: req(str({ minLength: 1, description: 'Node label spreading brokers across racks/zones, e.g. topology.kubernetes.io/zone.' })),
  }),
  template: obj({ pod: podTemplate }),
  metrics: def(obj({
    enabled: def(bool({ description: 'Expose /metrics on the brokers\' HTTP port with Prometheus scrape annotations.' }), true),
  }), { enabled: true }),
  emulator: obj({
    enabled: def(bool(), false),
    replicas: def(int({ minimum: 0, maximum: 16 }), 1),
    image: str({ minLength: 1, description: 'Emulator image; default tributary/emulator:<version>.' }),
    pubsub: def(obj({ enabled: def(bool(), true), port: def(int({ minimum: 1024, maximum: 65535 }), 8085) }), { enabled: true, port: 8085 }),
    kinesis: def(obj({ enabled: def(bool(), true), port: def(int({ minimum: 1024, maximum: 65535 }), 4567) }), { enabled: true, port: 4567 }),
  }, { description: 'Pub/Sub- and Kinesis-compatible emulator over the cluster.' }),
});
export type KafkaClusterSpec = Infer<typeof kafkaClusterSpec>;

const listenerStatus = obj({
  name: str(),
  type: str(),
  bootstrapServers: str(),
  addresses: arr(obj({ host: str(), port: int() })),
});

export const kafkaClusterStatus = obj({
  observedGeneration: int({ format: 'int64' }),
  conditions,
  replicas: int(),
  readyReplicas: int(),
  updatedReplicas: int(),
  selector: str({ description: 'Label selector of the broker pods (scale subresource).' }),
  clusterId: str(),
  bootstrapServers: str(),
  listeners: arr(listenerStatus),
  image: str(),
  configHash: str(),
});
export type KafkaClusterStatus = Infer<typeof kafkaClusterStatus>;

export const kafkaTopicSpec = obj({
  clusterRef: obj({ name: req(str({ minLength: 1 })) }, { description: `The KafkaCluster in the same namespace; or the label ${CLUSTER_LABEL}.` }),
  topicName: str({ minLength: 1, maxLength: 249, pattern: '^[a-zA-Z0-9._-]+$', description: 'Default: metadata.name.' }),
  partitions: def(int({ minimum: 1, maximum: 100000, description: 'Can grow, never shrink.' }), 1),
  replicationFactor: int({ minimum: 1, maximum: 64, description: 'Default: the broker default; cannot be changed afterwards.' }),
  config: free<Record<string, string | number | boolean>>({ description: 'Topic configuration (retention.ms, cleanup.policy, ...).' }),
});
export type KafkaTopicSpec = Infer<typeof kafkaTopicSpec>;

export const kafkaTopicStatus = obj({
  observedGeneration: int({ format: 'int64' }),
  conditions,
  topicName: str(),
  topicId: str(),
  partitions: int(),
  replicationFactor: int(),
  config: mapOf(str()),
});
export type KafkaTopicStatus = Infer<typeof kafkaTopicStatus>;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
  ownerReferences?: Record<string, unknown>[];
}

export interface KafkaCluster {
  apiVersion: typeof API_VERSION;
  kind: 'KafkaCluster';
  metadata: ObjectMeta;
  spec: KafkaClusterSpec;
  status?: KafkaClusterStatus;
}

export interface KafkaTopic {
  apiVersion: typeof API_VERSION;
  kind: 'KafkaTopic';
  metadata: ObjectMeta;
  spec: KafkaTopicSpec;
  status?: KafkaTopicStatus;
}

const readyColumn = { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' };
const reasonColumn = { name: 'Reason', type: 'string', priority: 1, jsonPath: '.status.conditions[?(@.type=="Ready")].reason' };
const ageColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

interface CrdInput {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  description: string;
  spec: { json: Record<string, unknown> };
  status: { json: Record<string, unknown> };
  columns: Record<string, unknown>[];
  scale?: boolean;
}

function crd(c: CrdInput): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${c.plural}.${GROUP}`, labels: { 'app.kubernetes.io/name': 'tributary-operator', 'app.kubernetes.io/part-of': 'tributary' } },
    spec: {
      group: GROUP,
      names: { kind: c.kind, listKind: `${c.kind}List`, plural: c.plural, singular: c.singular, shortNames: c.shortNames, categories: ['tributary'] },
      scope: 'Namespaced',
      versions: [{
        name: VERSION,
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            description: c.description,
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: { type: 'object' },
              spec: { ...c.spec.json },
              status: c.status.json,
            },
          },
        },
        subresources: {
          status: {},
          ...(c.scale ? { scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } } : {}),
        },
        additionalPrinterColumns: c.columns,
      }],
    },
  };
}

export const kafkaClusterCrd = crd({
  kind: 'KafkaCluster', plural: 'kafkaclusters', singular: 'kafkacluster', shortNames: ['kc', 'kafka'],
  description: 'A Tributary (Kafka-compatible) broker cluster.',
  spec: { json: { ...kafkaClusterSpec.json, default: {} } }, status: kafkaClusterStatus, scale: true,
  columns: [
    { name: 'Desired', type: 'integer', jsonPath: '.spec.replicas' },
    { name: 'Ready-Brokers', type: 'integer', jsonPath: '.status.readyReplicas' },
    readyColumn, reasonColumn,
    { name: 'Bootstrap', type: 'string', priority: 1, jsonPath: '.status.bootstrapServers' },
    ageColumn,
  ],
});

export const kafkaTopicCrd = crd({
  kind: 'KafkaTopic', plural: 'kafkatopics', singular: 'kafkatopic', shortNames: ['kt'],
  description: 'A topic of a KafkaCluster, managed through the Kafka admin API.',
  spec: { json: { ...kafkaTopicSpec.json, default: {} } }, status: kafkaTopicStatus,
  columns: [
    { name: 'Cluster', type: 'string', jsonPath: `.spec.clusterRef.name` },
    { name: 'Partitions', type: 'integer', jsonPath: '.spec.partitions' },
    { name: 'RF', type: 'integer', jsonPath: '.status.replicationFactor' },
    readyColumn, reasonColumn,
    { name: 'Topic', type: 'string', priority: 1, jsonPath: '.status.topicName' },
    ageColumn,
  ],
});

export const crds = { kafkaclusters: kafkaClusterCrd, kafkatopics: kafkaTopicCrd } as const;
