// Test helpers for the local Kubernetes cluster (up.sh / down.sh): start and stop
// it, apply manifests (objects or YAML, server-side apply), wait for conditions,
// and reach pods without kube-proxy or cluster DNS:
//  - every pod has its own 127.x.y.z address (status.podIP) on the host network;
//  - `<pod>.<service>` names are resolved from the Service's EndpointSlices
//    (hostname → IP), as cluster DNS would for a headless Service.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { Kube } from '../kubelet/kube.ts';
import type { Obj } from '../kubelet/kube.ts';

export { Kube };
export type { Obj };

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export interface Cluster {
  dir: string;
  kubeconfig: string;
  env: Record<string, string>;
  kube: Kube;
  /** Process ids of what up.sh started (etcd, apiserver, ..., kubelet). */
  pids(): number[];
  down(): Promise<void>;
}

function sh(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(String(stdout));
    });
  });
}

/** Brings a cluster up (building the control plane first if the cache is cold). */
export async function up(opts: { nodes?: number; kubelet?: boolean; dir?: string } = {}): Promise<Cluster> {
  const args = ['--nodes', String(opts.nodes ?? 1)];
  if (opts.kubelet === false) args.push('--no-kubelet');
  if (opts.dir) args.push('--dir', opts.dir);
  const out = await sh(here('./up.sh'), args, 30 * 60_000);
  const dir = out.trim().split('\n').pop()!;
  const env: Record<string, string> = {};
  for (const line of fs.readFileSync(`${dir}/env`, 'utf8').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) env[line.slice(0, i)] = line.slice(i + 1);
  }
  const kube = await Kube.fromFile(`${dir}/kubeconfig`);
  let isDown = false;
  // A test process that dies without calling down() still stops its cluster.
  const emergency = () => {
    if (isDown) return;
    isDown = true;
    try {
      execFileSync(here('./down.sh'), [dir], { stdio: 'ignore', timeout: 120_000 });
    } catch {
      /* best effort */
    }
  };
  const onSignal = (sig: NodeJS.Signals) => {
    emergency();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('exit', emergency);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    dir, kubeconfig: `${dir}/kubeconfig`, env, kube,
    pids: () => {
      try {
        return fs.readFileSync(`${dir}/pids`, 'utf8').split('\n').filter(Boolean).map((l) => Number(l.split(' ')[1]));
      } catch {
        return [];
      }
    },
    down: async () => {
      if (isDown) return;
      isDown = true;
      process.off('exit', emergency);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      kube.close();
      // TRIBUTARY_K8S_KEEP=1 keeps DIR (logs of every component) for a post-mortem.
      await sh(here('./down.sh'), process.env.TRIBUTARY_K8S_KEEP === '1' ? [dir, '--keep'] : [dir], 5 * 60_000);
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it returns a truthy value; throws with the last error/value on timeout. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v as T;
      last = v;
    } catch (e) {
      last = e;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
}

// ---- applying manifests ------------------------------------------------------
const resourceCache = new Map<string, { plural: string; namespaced: boolean }>();

/** Resource plural and scope of apiVersion/kind, by discovery. */
export async function resourceOf(kube: Kube, apiVersion: string, kind: string): Promise<{ plural: string; namespaced: boolean }> {
  const key = `${apiVersion}/${kind}`;
  const hit = resourceCache.get(`${kube.server}|${key}`);
  if (hit) return hit;
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const list = await kube.get(base);
  const r = (list.resources as Obj[]).find((x) => x.kind === kind && !String(x.name).includes('/'));
  if (!r) throw new Error(`no resource for ${key}`);
  const v = { plural: r.name as string, namespaced: !!r.namespaced };
  resourceCache.set(`${kube.server}|${key}`, v);
  return v;
}

export async function objectUrl(kube: Kube, o: Obj, defaultNamespace = 'default'): Promise<string> {
  const { plural, namespaced } = await resourceOf(kube, o.apiVersion, o.kind);
  const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  const ns = namespaced ? `/namespaces/${o.metadata.namespace ?? defaultNamespace}` : '';
  return `${base}${ns}/${plural}/${o.metadata.name}`;
}

/** Parses multi-document YAML into objects (empty documents and Lists flattened). */
export function parseYaml(text: string): Obj[] {
  const out: Obj[] = [];
  for (const d of yaml.loadAll(text) as Obj[]) {
    if (!d) continue;
    if (d.kind === 'List' || (d.kind?.endsWith('List') && Array.isArray(d.items))) out.push(...d.items);
    else out.push(d);
  }
  return out;
}

/**
 * Creates, or replaces, objects (or YAML text) in order; returns the live objects.
 * Not server-side apply: 1.20's SSA rejects Service/container ports without an
 * explicit protocol (fixed in 1.21), which valid manifests omit.
 */
export async function apply(kube: Kube, objs: Obj[] | string, namespace = 'default'): Promise<Obj[]> {
  const list = typeof objs === 'string' ? parseYaml(objs) : objs;
  const out: Obj[] = [];
  for (const o of list) {
    const { namespaced } = await resourceOf(kube, o.apiVersion, o.kind);
    const body: Obj = namespaced ? { ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? namespace } } : o;
    const url = await objectUrl(kube, body, namespace);
    const live = await kube.find(url);
    if (!live) out.push(await kube.post(url.slice(0, url.lastIndexOf('/')), body));
    else {
      const next: Obj = { ...body, metadata: { ...body.metadata, resourceVersion: live.metadata.resourceVersion } };
      if (o.kind === 'Service' && live.spec?.clusterIP) next.spec = { ...next.spec, clusterIP: live.spec.clusterIP };
      out.push(await kube.put(url, next));
    }
  }
  return out;
}

export async function remove(kube: Kube, objs: Obj[] | string, namespace = 'default'): Promise<void> {
  const list = typeof objs === 'string' ? parseYaml(objs) : objs;
  for (const o of [...list].reverse()) await kube.delete(await objectUrl(kube, o, namespace));
}

// ---- reaching pods -------------------------------------------------------------
export async function pod(kube: Kube, name: string, namespace = 'default'): Promise<Obj | undefined> {
  return kube.find(`/api/v1/namespaces/${namespace}/pods/${name}`);
}

export function isReady(p: Obj | undefined): boolean {
  return !!p && !p.metadata.deletionTimestamp && (p.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
}

/** Waits until the StatefulSet's pods are all Ready (through the real controller). */
export async function waitStatefulSetReady(kube: Kube, name: string, namespace = 'default', timeoutMs = 180_000): Promise<Obj> {
  return waitFor(`statefulset ${namespace}/${name} ready`, async () => {
    const s = await kube.get(`/apis/apps/v1/namespaces/${namespace}/statefulsets/${name}`);
    const want = s.spec.replicas ?? 1;
    return s.status?.readyReplicas === want && s.status?.observedGeneration >= s.metadata.generation && s.status?.currentReplicas === want ? s : undefined;
  }, timeoutMs, 500);
}

/**
 * The ready addresses of a Service, [{ip, hostname, targetRef}], from its
 * EndpointSlices (the real EndpointSlice controller). Not from Endpoints: their
 * validation rejects loopback IPs ("may not be in the loopback range"), so the
 * endpoints controller cannot publish 127.x pod IPs; EndpointSlices accept them.
 */
export async function endpoints(kube: Kube, service: string, namespace = 'default'): Promise<Obj[]> {
  const groups = await kube.get('/apis/discovery.k8s.io');
  const version = (groups.versions as Obj[]).some((v) => v.version === 'v1') ? 'v1' : 'v1beta1';
  const list = await kube.get(`/apis/discovery.k8s.io/${version}/namespaces/${namespace}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${service}`)}`);
  const out: Obj[] = [];
  for (const slice of list.items as Obj[]) {
    if (slice.addressType !== 'IPv4') continue;
    for (const e of slice.endpoints ?? []) {
      if (e.conditions?.ready === false) continue;
      for (const ip of e.addresses ?? []) out.push({ ip, hostname: e.hostname, targetRef: e.targetRef });
    }
  }
  return out;
}

/** What cluster DNS would answer for `<pod>.<service>` (headless Service) or `<service>` (all ready IPs). */
export async function resolve(kube: Kube, name: string, namespace = 'default'): Promise<string[]> {
  const parts = name.replace(/\.svc(\.cluster\.local)?\.?$/, '').split('.');
  if (parts.length >= 2 && parts.length <= 3 && (parts.length === 2 || parts[2] === namespace)) {
    const [host, svc] = parts as [string, string];
    const hit = (await endpoints(kube, svc, namespace)).filter((a) => a.hostname === host).map((a) => a.ip as string);
    if (hit.length) return hit;
  }
  return (await endpoints(kube, parts[0]!, namespace)).map((a) => a.ip as string);
}

/** Podman containers of this cluster still present (should be none after down). */
export async function leftoverContainers(dir: string): Promise<string[]> {
  const out = await sh('podman', ['ps', '-aq', '--filter', `label=tributary.k8s.dir=${dir}`], 30_000).catch(() => '');
  return out.split('\n').filter(Boolean);
}

/** Mounts under `dir` still present (should be none after down). */
export function leftoverMounts(dir: string): string[] {
  return fs.readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m === dir || m.startsWith(`${dir}/`));
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
