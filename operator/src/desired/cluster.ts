// Pure desired-state functions: a KafkaCluster (defaults applied) in, the
// Kubernetes objects the operator server-side-applies out. No I/O; what depends
// on the live cluster (PDB API version, the StatefulSet's current claim
// templates) comes in as `Inputs`.
import { API_VERSION, ANNOTATIONS, GROUP } from '../api/v1alpha1.ts';
import type { KafkaCluster, KafkaClusterSpec, Listener } from '../api/v1alpha1.ts';
import { CONFIG_DIR, DATA_DIR, HTTP_PORT, clusterIdFor, configHash, serverProperties, validateBrokerConfig } from './config.ts';

export type Obj = Record<string, any>;

export interface Inputs {
  /** policy/v1 where served (1.21+), else policy/v1beta1 (found by discovery). */
  pdbApiVersion: 'policy/v1' | 'policy/v1beta1';
  /**
   * The live StatefulSet's volumeClaimTemplates, if it exists: they are
   * immutable, so the desired StatefulSet keeps them (a storage change is
   * reported, not applied).
   */
  liveClaimTemplates?: Obj[] | undefined;
  /** Replica count to apply instead of spec.replicas (a refused scale-down keeps the current one). */
  replicasOverride?: number | undefined;
}

export const CONFIG_HASH = `${GROUP}/config-hash`;
export const RESTART_AT = `${GROUP}/restart-at`;
export const COMPONENT = 'app.kubernetes.io/component';
export const CLUSTER = `${GROUP}/cluster`;
export const MANAGED_BY = 'tributary-operator';

export const names = (c: string) => ({
  statefulSet: `${c}-broker`,
  headless: `${c}-brokers`,
  bootstrap: `${c}-bootstrap`,
  configMap: `${c}-config`,
  pdb: `${c}-broker`,
  serviceAccount: `${c}-broker`,
  role: `${c}-broker`,
  emulator: `${c}-emulator`,
  pod: (ordinal: number) => `${c}-broker-${ordinal}`,
  claim: (ordinal: number) => `data-${c}-broker-${ordinal}`,
});

export function selectorLabels(cluster: string, component = 'broker'): Record<string, string> {
  return { [CLUSTER]: cluster, [COMPONENT]: component };
}

export function labels(cluster: string, component = 'broker'): Record<string, string> {
  return {
    'app.kubernetes.io/name': component === 'broker' ? 'tributary-broker' : `tributary-${component}`,
    'app.kubernetes.io/instance': cluster,
    'app.kubernetes.io/part-of': 'tributary',
    'app.kubernetes.io/managed-by': MANAGED_BY,
    ...selectorLabels(cluster, component),
  };
}

export function ownerReference(kc: KafkaCluster): Obj {
  return { apiVersion: API_VERSION, kind: 'KafkaCluster', name: kc.metadata.name, uid: kc.metadata.uid, controller: true, blockOwnerDeletion: true };
}

function meta(kc: KafkaCluster, name: string, component = 'broker', extra: Obj = {}): Obj {
  return { name, namespace: kc.metadata.namespace, labels: labels(kc.metadata.name, component), ownerReferences: [ownerReference(kc)], ...extra };
}

/** The Kafka listener the brokers serve: the first internal plain one (the only kind the broker has yet). */
export function kafkaListener(spec: KafkaClusterSpec): Listener {
  return spec.listeners.find((l) => l.type === 'internal' && !l.tls && !l.authentication) ?? spec.listeners[0]!;
}

/** Problems that make the spec impossible to run; reported as Ready=False InvalidSpec. */
export function validateCluster(kc: KafkaCluster): string[] {
  const problems = validateBrokerConfig(kc.spec.config).map((p) => `spec.config: ${p}`);
  const ports = new Set<number>();
  for (const l of kc.spec.listeners) {
    if (l.type !== 'internal') problems.push(`spec.listeners[${l.name}]: type ${l.type} is not supported by the broker yet (only internal)`);
    if (l.tls) problems.push(`spec.listeners[${l.name}]: TLS is not supported by the broker yet`);
    if (l.authentication) problems.push(`spec.listeners[${l.name}]: authentication ${l.authentication.type} is not supported by the broker yet`);
    if (ports.has(l.port)) problems.push(`spec.listeners[${l.name}]: port ${l.port} is used twice`);
    if (l.port === HTTP_PORT) problems.push(`spec.listeners[${l.name}]: port ${HTTP_PORT} is the brokers' HTTP (metrics/health) port`);
    ports.add(l.port);
  }
  if (kc.spec.listeners.length > 1) problems.push('spec.listeners: the broker serves one listener yet; give exactly one');
  return problems;
}

export function brokerImage(spec: KafkaClusterSpec): string {
  return spec.image ?? `tributary/broker:${spec.version}`;
}

export function configMap(kc: KafkaCluster): Obj {
  const props = serverProperties(kc.spec.config, clusterIdFor(kc.metadata.uid ?? kc.metadata.name));
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(kc, names(kc.metadata.name).configMap), data: { 'server.properties': props } };
}

/** Hash of everything a broker reads at start-up from the ConfigMap. */
export function brokerConfigHash(kc: KafkaCluster): string {
  return configHash(configMap(kc).data['server.properties']);
}

function servicePorts(kc: KafkaCluster, withHttp: boolean): Obj[] {
  const l = kafkaListener(kc.spec);
  const ports: Obj[] = [{ name: `tcp-${l.name}`, port: l.port, targetPort: l.port, protocol: 'TCP' }];
  if (withHttp) ports.push({ name: 'http', port: HTTP_PORT, targetPort: HTTP_PORT, protocol: 'TCP' });
  return ports;
}

/** Headless Service: stable per-pod DNS names `<pod>.<name>-brokers`, not-ready pods included (brokers find each other while starting). */
export function headlessService(kc: KafkaCluster): Obj {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: meta(kc, names(kc.metadata.name).headless),
    spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector: selectorLabels(kc.metadata.name), ports: servicePorts(kc, true) },
  };
}

export function bootstrapService(kc: KafkaCluster): Obj {
  const annotations = kc.spec.metrics.enabled
    ? { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(HTTP_PORT), 'prometheus.io/path': '/metrics' }
    : undefined;
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: meta(kc, names(kc.metadata.name).bootstrap, 'broker', annotations ? { annotations } : {}),
    spec: { type: 'ClusterIP', selector: selectorLabels(kc.metadata.name), ports: servicePorts(kc, kc.spec.metrics.enabled) },
  };
}

/** The shell line starting a broker: per-pod keys from the pod's ordinal and IP. */
export function brokerCommand(kc: KafkaCluster): string[] {
  const l = kafkaListener(kc.spec);
  return ['sh', '-c', [
    'exec node broker-image/src/cli/main.ts broker start',
    `--config ${CONFIG_DIR}/server.properties`,
    '--override node.id=${POD_NAME##*-}',
    `--override listeners=PLAINTEXT://\${POD_IP}:${l.port}`,
    `--override advertised.listeners=PLAINTEXT://\${POD_IP}:${l.port}`,
    `--override http.listener=\${POD_IP}:${HTTP_PORT}`,
  ].join(' ')];
}

export function claimTemplates(kc: KafkaCluster): Obj[] {
  const s = kc.spec.storage;
  if (s.type !== 'persistent-claim') return [];
  return [{
    apiVersion: 'v1', kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', labels: labels(kc.metadata.name) },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: s.size } },
      ...(s.class ? { storageClassName: s.class } : {}),
    },
  }];
}

function affinity(kc: KafkaCluster): Obj | undefined {
  const user = (kc.spec.template?.pod?.affinity ?? {}) as Obj;
  if (!kc.spec.rack) return Object.keys(user).length ? user : undefined;
  const anti = user.podAntiAffinity ?? {};
  return {
    ...user,
    podAntiAffinity: {
      ...anti,
      preferredDuringSchedulingIgnoredDuringExecution: [
        ...(anti.preferredDuringSchedulingIgnoredDuringExecution ?? []),
        { weight: 100, podAffinityTerm: { topologyKey: kc.spec.rack.topologyKey, labelSelector: { matchLabels: selectorLabels(kc.metadata.name) } } },
      ],
    },
  };
}

export function statefulSet(kc: KafkaCluster, inputs: Inputs): Obj {
  const n = names(kc.metadata.name);
  const l = kafkaListener(kc.spec);
  const pod = kc.spec.template?.pod;
  const persistent = kc.spec.storage.type === 'persistent-claim';
  const annotations: Record<string, string> = {
    ...(pod?.metadata?.annotations ?? {}),
    [CONFIG_HASH]: brokerConfigHash(kc),
  };
  const restartAt = kc.metadata.annotations?.[ANNOTATIONS.restartAt];
  if (restartAt) annotations[RESTART_AT] = restartAt;
  if (kc.spec.metrics.enabled) Object.assign(annotations, { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(HTTP_PORT), 'prometheus.io/path': '/metrics' });
  const aff = affinity(kc);
  const podSpec: Obj = {
    serviceAccountName: n.serviceAccount,
    terminationGracePeriodSeconds: pod?.terminationGracePeriodSeconds ?? 30,
    securityContext: { fsGroup: 1000, runAsUser: 1000, runAsNonRoot: true },
    ...(aff ? { affinity: aff } : {}),
    ...(kc.spec.rack ? { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: kc.spec.rack.topologyKey, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selectorLabels(kc.metadata.name) } }] } : {}),
    ...(pod?.tolerations ? { tolerations: pod.tolerations } : {}),
    ...(pod?.nodeSelector ? { nodeSelector: pod.nodeSelector } : {}),
    ...(pod?.priorityClassName ? { priorityClassName: pod.priorityClassName } : {}),
    containers: [{
      name: 'broker',
      image: brokerImage(kc.spec),
      imagePullPolicy: kc.spec.imagePullPolicy,
      command: brokerCommand(kc),
      env: [
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      ],
      ports: [
        { name: 'kafka', containerPort: l.port, protocol: 'TCP' },
        { name: 'http', containerPort: HTTP_PORT, protocol: 'TCP' },
      ],
      readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 2, failureThreshold: 3 },
      livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 20, periodSeconds: 10, failureThreshold: 3 },
      ...(kc.spec.resources ? { resources: kc.spec.resources } : {}),
      volumeMounts: [
        { name: 'data', mountPath: DATA_DIR },
        { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
      ],
    }],
    volumes: [
      { name: 'config', configMap: { name: n.configMap } },
      ...(persistent ? [] : [{ name: 'data', emptyDir: {} }]),
    ],
  };
  const templates = inputs.liveClaimTemplates ?? claimTemplates(kc);
  return {
    apiVersion: 'apps/v1', kind: 'StatefulSet',
    metadata: meta(kc, n.statefulSet),
    spec: {
      replicas: inputs.replicasOverride ?? kc.spec.replicas,
      serviceName: n.headless,
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'OnDelete' },
      selector: { matchLabels: selectorLabels(kc.metadata.name) },
      template: {
        metadata: { labels: { ...(pod?.metadata?.labels ?? {}), ...labels(kc.metadata.name) }, annotations },
        spec: podSpec,
      },
      ...(templates.length ? { volumeClaimTemplates: templates } : {}),
    },
  };
}

/** True when the live claim templates differ from what the spec asks (a storage change the StatefulSet cannot take). */
export function storageDrift(kc: KafkaCluster, live: Obj[] | undefined): string | null {
  if (!live) return null;
  const want = claimTemplates(kc);
  const describe = (t: Obj[]) => t.length ? `persistent-claim ${t[0]!.spec?.resources?.requests?.storage}${t[0]!.spec?.storageClassName ? ` (${t[0]!.spec.storageClassName})` : ''}` : 'ephemeral';
  const a = describe(live);
  const b = describe(want);
  return a === b ? null : `storage is ${a}, spec asks ${b}: claim templates are immutable, the change is not applied (resize the PersistentVolumeClaims directly)`;
}

export function podDisruptionBudget(kc: KafkaCluster, inputs: Inputs): Obj {
  return {
    apiVersion: inputs.pdbApiVersion, kind: 'PodDisruptionBudget',
    metadata: meta(kc, names(kc.metadata.name).pdb),
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(kc.metadata.name) } },
  };
}

/** What the brokers' `kubernetes` coordination backend needs: Leases, ConfigMaps and pod lookups in their namespace. */
export function brokerRbac(kc: KafkaCluster): Obj[] {
  const n = names(kc.metadata.name);
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(kc, n.serviceAccount) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(kc, n.role),
      rules: [
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta(kc, n.role),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: n.role },
      subjects: [{ kind: 'ServiceAccount', name: n.serviceAccount, namespace: kc.metadata.namespace }],
    },
  ];
}

export function emulatorImage(kc: KafkaCluster): string {
  return kc.spec.emulator?.image ?? `tributary/emulator:${kc.spec.version}`;
}

/** The emulator Deployment + Service, or [] when disabled. */
export function emulator(kc: KafkaCluster): Obj[] {
  const e = kc.spec.emulator;
  if (!e?.enabled) return [];
  const n = names(kc.metadata.name);
  const l = kafkaListener(kc.spec);
  const ports: Obj[] = [];
  const args = [`--bootstrap-server=${n.bootstrap}.${kc.metadata.namespace}.svc:${l.port}`];
  args.push(e.pubsub.enabled ? `--pubsub=$(POD_IP):${e.pubsub.port}` : '--pubsub=off');
  args.push(e.kinesis.enabled ? `--kinesis=$(POD_IP):${e.kinesis.port}` : '--kinesis=off');
  if (e.pubsub.enabled) ports.push({ name: 'pubsub', port: e.pubsub.port });
  if (e.kinesis.enabled) ports.push({ name: 'kinesis', port: e.kinesis.port });
  return [
    {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: meta(kc, n.emulator, 'emulator'),
      spec: {
        replicas: e.replicas,
        selector: { matchLabels: selectorLabels(kc.metadata.name, 'emulator') },
        template: {
          metadata: { labels: labels(kc.metadata.name, 'emulator') },
          spec: {
            containers: [{
              name: 'emulator', image: emulatorImage(kc), imagePullPolicy: kc.spec.imagePullPolicy, args,
              env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
              ports: ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: 'TCP' })),
              ...(ports.length ? { readinessProbe: { tcpSocket: { port: ports[0]!.name }, periodSeconds: 2 } } : {}),
            }],
          },
        },
      },
    },
    {
      apiVersion: 'v1', kind: 'Service',
      metadata: meta(kc, n.emulator, 'emulator'),
      spec: { selector: selectorLabels(kc.metadata.name, 'emulator'), ports: ports.map((p) => ({ ...p, targetPort: p.port, protocol: 'TCP' })) },
    },
  ];
}

/** Every object of the cluster, in apply order. */
export function desiredObjects(kc: KafkaCluster, inputs: Inputs): Obj[] {
  return [
    ...brokerRbac(kc),
    configMap(kc),
    headlessService(kc),
    bootstrapService(kc),
    statefulSet(kc, inputs),
    podDisruptionBudget(kc, inputs),
    ...emulator(kc),
  ];
}

/** Status addresses: the bootstrap Service and each broker's stable DNS name. */
export function listenerStatus(kc: KafkaCluster, replicas: number): { bootstrapServers: string; listeners: Obj[] } {
  const n = names(kc.metadata.name);
  const ns = kc.metadata.namespace;
  const l = kafkaListener(kc.spec);
  const bootstrapServers = `${n.bootstrap}.${ns}.svc:${l.port}`;
  return {
    bootstrapServers,
    listeners: [{
      name: l.name, type: l.type, bootstrapServers,
      addresses: Array.from({ length: replicas }, (_, i) => ({ host: `${n.pod(i)}.${n.headless}.${ns}.svc`, port: l.port })),
    }],
  };
}
