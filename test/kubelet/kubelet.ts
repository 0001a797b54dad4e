// The test kubelet: registers Nodes, runs the containers of the pods the real
// scheduler binds to them with podman (runc, host network, local images only),
// and reports their status back, so the real controllers (StatefulSet, endpoints,
// ...) see pods behave as on a real node.
//
// Emulated: pod IP (a distinct 127.C.x.y per pod, C = cluster id), status.podIP and
// the downward API; env/envFrom with $(VAR) expansion; command/args; ConfigMap,
// Secret, emptyDir, hostPath, projected (configMap/secret/downwardAPI/token) and PVC
// volumes (per-claim host folders that outlive pods); init containers; phase,
// conditions, container statuses and restart counts; readiness/liveness/startup
// probes (tcpSocket, httpGet, exec); restartPolicy with a short back-off; graceful
// deletion (SIGTERM, SIGKILL after the grace period), then the pod object is removed.
// Not emulated: kube-proxy (Service virtual IPs), cluster DNS, resource limits,
// network isolation between pods (they share the host network; ports must differ
// by IP), image pulls (pull policy is always Never), live updates of ConfigMap/Secret
// volumes, lifecycle hooks, ephemeral containers.
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import http from 'node:http';
import { Kube, KubeError } from './kube.ts';
import type { Obj } from './kube.ts';
import * as podman from './podman.ts';

export interface KubeletOptions {
  kube: Kube;
  dir: string; // cluster state dir: pod volumes under dir/pods
  clusterId: number; // second octet of pod IPs, and podman label
  nodes: string[];
  apiPort: number;
  log?: (msg: string) => void;
}

interface CState {
  name: string;
  spec: Obj;
  init: boolean;
  podmanName?: string;
  containerId?: string;
  restartCount: number;
  state: 'waiting' | 'running' | 'terminated';
  reason?: string;
  message?: string;
  exitCode?: number;
  startedAt?: string;
  finishedAt?: string;
  lastState?: Obj;
  ready: boolean;
  started: boolean; // startup probe passed
  backoffUntil: number;
  probeInFlight: Record<string, boolean>;
  probeLast: Record<string, number>;
  probeOk: Record<string, number>;
  probeFail: Record<string, number>;
  startedMs: number;
  stopping: boolean;
}

interface PodState {
  uid: string;
  ns: string;
  name: string;
  node: string;
  ip: string;
  pod: Obj;
  podDir: string;
  mounts?: string[]; // podman -v args, once volumes are ready
  containers: CState[]; // init first, then main
  startTime: string;
  terminating: boolean;
  finished: boolean;
  lastStatus?: string;
  volumeError?: string;
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export class Kubelet {
  private readonly o: KubeletOptions;
  private readonly pods = new Map<string, PodState>();
  private readonly log: (msg: string) => void;
  private nextIp = 0;
  private stopped = false;
  private timers: NodeJS.Timeout[] = [];
  private stopWatches: (() => void)[] = [];
  private syncing = false;
  private syncAgain = false;
  private ulimits: string[] = [];
  private readonly label: string;

  constructor(o: KubeletOptions) {
    this.o = o;
    this.log = o.log ?? ((m) => console.log(`${now()} kubelet: ${m}`));
    this.label = `tributary.k8s.dir=${o.dir}`;
  }

  async start(): Promise<void> {
    this.ulimits = await podman.ulimits();
    fs.mkdirSync(path.join(this.o.dir, 'pods'), { recursive: true });
    for (const n of this.o.nodes) await this.registerNode(n);
    await this.heartbeat();
    this.timers.push(setInterval(() => void this.heartbeat().catch((e) => this.log(`heartbeat: ${e.message}`)), 10_000));
    this.timers.push(setInterval(() => this.trigger(), 1000));
    this.timers.push(setInterval(() => this.probeTick(), 200));
    for (const n of this.o.nodes) void this.watchNode(n);
    this.trigger();
  }

  private async watchNode(node: string): Promise<void> {
    while (!this.stopped) {
      try {
        await new Promise<void>((resolve) => {
          void this.o.kube
            .watch('/api/v1/pods', { fieldSelector: `spec.nodeName=${node}` }, () => this.trigger(), () => resolve())
            .then((stop) => this.stopWatches.push(stop), () => resolve());
        });
      } catch {
        /* retried */
      }
      if (!this.stopped) await sleep(500);
    }
  }

  /** Stops every container this kubelet runs (pod objects stay, as when a node dies). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    for (const s of this.stopWatches) s();
    const list = await podman.ps(this.label).catch(() => []);
    await Promise.all(list.filter((c) => c.state === 'running').map((c) => podman.stop(c.name, 2)));
    await podman.rmForce(list.map((c) => c.name));
  }

  // ---- nodes ---------------------------------------------------------------
  private async registerNode(name: string): Promise<void> {
    const existing = await this.o.kube.find(`/api/v1/nodes/${name}`);
    if (!existing) {
      await this.o.kube.post('/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'tributary.dev/test-kubelet': 'true' },
        },
        spec: {},
      });
      this.log(`registered node ${name}`);
    }
  }

  private async heartbeat(): Promise<void> {
    const t = now();
    const cond = (type: string, status: string, reason: string) => ({ type, status, reason, message: reason, lastHeartbeatTime: t, lastTransitionTime: t });
    const capacity = { cpu: '64', memory: '256Gi', pods: '250', 'ephemeral-storage': '1Ti' };
    for (const name of this.o.nodes) {
      const node = await this.o.kube.get(`/api/v1/nodes/${name}`);
      const prev: Obj[] = node.status?.conditions ?? [];
      const keep = (c: Obj) => {
        const p = prev.find((x) => x.type === c.type);
        if (p && p.status === c.status) c.lastTransitionTime = p.lastTransitionTime;
        return c;
      };
      await this.o.kube.mergePatch(`/api/v1/nodes/${name}/status`, {
        status: {
          capacity,
          allocatable: capacity,
          addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: name }],
          daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
          nodeInfo: {
            machineID: name, systemUUID: name, bootID: String(process.pid), kernelVersion: '', osImage: 'tributary test kubelet (podman)',
            containerRuntimeVersion: 'podman://', kubeletVersion: 'v1.20.2', kubeProxyVersion: 'v1.20.2', operatingSystem: 'linux', architecture: 'amd64',
          },
          conditions: [
            keep(cond('Ready', 'True', 'KubeletReady')),
            keep(cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory')),
            keep(cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure')),
            keep(cond('PIDPressure', 'False', 'KubeletHasSufficientPID')),
          ],
        },
      });
    }
  }

  // ---- sync loop -------------------------------------------------------------
  trigger(): void {
    if (this.stopped) return;
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    this.syncing = true;
    void this.sync()
      .catch((e) => this.log(`sync: ${e?.stack ?? e}`))
      .finally(() => {
        this.syncing = false;
        if (this.syncAgain && !this.stopped) {
          this.syncAgain = false;
          setTimeout(() => this.trigger(), 50);
        }
      });
  }

  private async sync(): Promise<void> {
    const seen = new Set<string>();
    for (const node of this.o.nodes) {
      const list = await this.o.kube.get(`/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`);
      for (const pod of list.items as Obj[]) {
        seen.add(pod.metadata.uid);
        let st = this.pods.get(pod.metadata.uid);
        if (!st) {
          if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') {
            if (pod.metadata.deletionTimestamp) await this.finalize(pod.metadata.namespace, pod.metadata.name, pod.metadata.uid);
            continue; // finished before this kubelet started
          }
          st = this.admit(pod, node);
        }
        st.pod = pod;
      }
    }
    // Pods gone from the API (force-deleted): kill their containers at once.
    for (const [uid, st] of this.pods) {
      if (!seen.has(uid)) {
        this.log(`pod ${st.ns}/${st.name} gone from the API: removing its containers`);
        this.pods.delete(uid);
        void this.teardown(st, 0);
      }
    }
    const running = new Map((await podman.ps(this.label)).map((c) => [c.name, c]));
    await Promise.all([...this.pods.values()].map((st) => this.syncPod(st, running).catch((e) => this.log(`pod ${st.ns}/${st.name}: ${e?.stack ?? e}`))));
  }

  private allocateIp(): string {
    const n = this.nextIp++;
    const taken = new Set([...this.pods.values()].map((p) => p.ip));
    const ip = `127.${this.o.clusterId}.${1 + Math.floor(n / 250) % 250}.${2 + (n % 250)}`;
    return taken.has(ip) ? this.allocateIp() : ip;
  }

  private admit(pod: Obj, node: string): PodState {
    const uid = pod.metadata.uid as string;
    const mk = (spec: Obj, init: boolean): CState => ({
      name: spec.name, spec, init, restartCount: 0, state: 'waiting', reason: 'ContainerCreating', ready: false, started: false,
      backoffUntil: 0, probeInFlight: {}, probeLast: {}, probeOk: {}, probeFail: {}, startedMs: 0, stopping: false,
    });
    const st: PodState = {
      uid, ns: pod.metadata.namespace, name: pod.metadata.name, node, ip: this.allocateIp(), pod,
      podDir: path.join(this.o.dir, 'pods', uid),
      containers: [...(pod.spec.initContainers ?? []).map((c: Obj) => mk(c, true)), ...pod.spec.containers.map((c: Obj) => mk(c, false))],
      startTime: now(), terminating: false, finished: false,
    };
    for (const c of st.containers) if (c.init) c.reason = 'PodInitializing';
    this.pods.set(uid, st);
    this.log(`admitted pod ${st.ns}/${st.name} on ${node} with IP ${st.ip}`);
    return st;
  }

  private async syncPod(st: PodState, ps: Map<string, podman.PsEntry>): Promise<void> {
    if (st.terminating) return;
    if (st.pod.metadata.deletionTimestamp) {
      st.terminating = true;
      const grace = Number(st.pod.metadata.deletionGracePeriodSeconds ?? st.pod.spec.terminationGracePeriodSeconds ?? 30);
      this.log(`pod ${st.ns}/${st.name} deleted: stopping with grace ${grace}s`);
      await this.teardown(st, grace);
      this.pods.delete(st.uid);
      await this.finalize(st.ns, st.name, st.uid);
      return;
    }
    // Observe container exits.
    for (const c of st.containers) {
      if (c.state !== 'running' || !c.podmanName) continue;
      const e = ps.get(c.podmanName);
      if (!e || e.state === 'running' || e.state === 'created' || e.state === 'configured') continue;
      c.state = 'terminated';
      c.exitCode = e.exitCode;
      c.reason = c.stopping ? 'Error' : e.exitCode === 0 ? 'Completed' : 'Error';
      c.finishedAt = e.exitedAt ? new Date(e.exitedAt * 1000).toISOString().replace(/\.\d+Z$/, 'Z') : now();
      c.ready = false;
      c.stopping = false;
      this.log(`container ${st.ns}/${st.name}/${c.name} exited with ${e.exitCode}`);
      await podman.rmForce([c.podmanName]);
    }
    if (!st.mounts) {
      try {
        fs.mkdirSync(st.podDir, { recursive: true });
        st.mounts = undefined;
        const m = await this.prepareVolumes(st);
        st.mounts = m;
        st.volumeError = undefined;
      } catch (e: any) {
        st.volumeError = e.message;
      }
    }
    if (st.mounts) {
      const policy = st.pod.spec.restartPolicy ?? 'Always';
      const inits = st.containers.filter((c) => c.init);
      const mains = st.containers.filter((c) => !c.init);
      let initsDone = true;
      for (const c of inits) {
        if (c.state === 'terminated' && c.exitCode === 0) continue;
        initsDone = false;
        if (c.state === 'running') break;
        if (c.state === 'terminated' && policy === 'Never') break;
        await this.startContainer(st, c);
        break;
      }
      if (initsDone) {
        for (const c of mains) {
          if (c.state === 'running') continue;
          if (c.state === 'terminated') {
            const again = policy === 'Always' || (policy === 'OnFailure' && c.exitCode !== 0);
            if (!again) continue;
          }
          await this.startContainer(st, c);
        }
      }
    }
    await this.reportStatus(st);
  }

  private async startContainer(st: PodState, c: CState): Promise<void> {
    const t = Date.now();
    if (c.state === 'terminated') {
      // Restart with back-off (short: 1, 2, 4, 8, 10 s).
      if (c.backoffUntil === 0) {
        const delay = Math.min(10_000, 1000 * 2 ** Math.min(c.restartCount, 4));
        c.backoffUntil = t + delay;
        c.lastState = { terminated: { exitCode: c.exitCode, reason: c.reason, startedAt: c.startedAt, finishedAt: c.finishedAt, containerID: `podman://${c.containerId}` } };
      }
      if (t < c.backoffUntil) {
        return;
      }
      c.backoffUntil = 0;
      c.restartCount++;
    }
    const image = c.spec.image as string;
    if (!(await podman.imageExists(image))) {
      c.state = 'waiting';
      c.reason = 'ErrImageNeverPull';
      c.message = `image ${image} is not present (the test kubelet never pulls; build it with test/images/build.sh)`;
      return;
    }
    const env = await this.containerEnv(st, c.spec);
    const expand = (s: string) => expandVars(s, env);
    const name = `tk${this.o.clusterId}_${st.ns}_${st.name}_${c.name}_${st.uid.slice(0, 8)}_${c.restartCount}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
    await podman.rmForce([name]);
    const args = [
      'run', '-d', '--name', name, '--runtime', 'runc', '--network=host', '--pull=never', ...this.ulimits,
      '--label', this.label, '--label', `tributary.k8s.pod=${st.ns}/${st.name}`, '--label', `tributary.k8s.uid=${st.uid}`,
      '--hostname', (st.pod.spec.hostname ?? st.name).slice(0, 63),
    ];
    for (const [k, v] of env) args.push('-e', `${k}=${v}`);
    args.push(...this.containerMounts(st, c.spec));
    if (c.spec.workingDir) args.push('-w', c.spec.workingDir);
    const sc = { ...(st.pod.spec.securityContext ?? {}), ...(c.spec.securityContext ?? {}) };
    if (sc.runAsUser !== undefined) args.push('--user', `${sc.runAsUser}${sc.runAsGroup !== undefined ? `:${sc.runAsGroup}` : ''}`);
    if (sc.fsGroup !== undefined) args.push('--group-add', String(sc.fsGroup));
    if (c.spec.command) args.push('--entrypoint', JSON.stringify((c.spec.command as string[]).map(expand)));
    args.push(image);
    if (c.spec.args) args.push(...(c.spec.args as string[]).map(expand));
    else if (c.spec.command) {
      // `command` without `args` drops the image's CMD, as Kubernetes does.
    }
    const r = await podman.run('podman', args);
    if (r.code !== 0) {
      c.state = 'waiting';
      c.reason = 'CreateContainerError';
      c.message = r.stderr.trim().slice(0, 500);
      c.backoffUntil = 0;
      this.log(`container ${st.ns}/${st.name}/${c.name}: podman run failed: ${c.message}`);
      return;
    }
    c.podmanName = name;
    c.containerId = r.stdout.trim();
    c.state = 'running';
    c.reason = undefined;
    c.message = undefined;
    c.exitCode = undefined;
    c.startedAt = now();
    c.startedMs = Date.now();
    c.ready = false;
    c.started = !c.spec.startupProbe;
    c.probeLast = {};
    c.probeOk = {};
    c.probeFail = {};
    this.log(`started ${st.ns}/${st.name}/${c.name} (${image}) as ${name}`);
  }

  private async teardown(st: PodState, grace: number): Promise<void> {
    const names = st.containers.filter((c) => c.state === 'running' && c.podmanName).map((c) => c.podmanName!);
    await Promise.all(names.map((n) => podman.stop(n, grace)));
    const all = await podman.ps(`tributary.k8s.uid=${st.uid}`).catch(() => []);
    await podman.rmForce(all.map((c) => c.name));
    fs.rmSync(st.podDir, { recursive: true, force: true });
  }

  private async finalize(ns: string, name: string, uid: string): Promise<void> {
    try {
      await this.o.kube.delete(`/api/v1/namespaces/${ns}/pods/${name}`, {
        apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid },
      });
      this.log(`pod ${ns}/${name} finalized`);
    } catch (e: any) {
      if (!(e instanceof KubeError && e.status === 409)) this.log(`finalize ${ns}/${name}: ${e.message}`);
    }
  }

  // ---- env and volumes -------------------------------------------------------
  private fieldRef(st: PodState, fieldPath: string): string {
    const p = st.pod;
    const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
    if (m) return p.metadata[m[1]!]?.[m[2]!] ?? '';
    switch (fieldPath) {
      case 'metadata.name': return p.metadata.name;
      case 'metadata.namespace': return p.metadata.namespace;
      case 'metadata.uid': return p.metadata.uid;
      case 'spec.nodeName': return st.node;
      case 'spec.serviceAccountName': return p.spec.serviceAccountName ?? 'default';
      case 'status.podIP': return st.ip;
      case 'status.podIPs': return st.ip;
      case 'status.hostIP': return '127.0.0.1';
      default: return '';
    }
  }

  private async containerEnv(st: PodState, spec: Obj): Promise<Map<string, string>> {
    const env = new Map<string, string>();
    const api = `${this.o.apiPort}`;
    env.set('KUBERNETES_SERVICE_HOST', '127.0.0.1');
    env.set('KUBERNETES_SERVICE_PORT', api);
    env.set('KUBERNETES_SERVICE_PORT_HTTPS', api);
    env.set('KUBERNETES_PORT', `tcp://127.0.0.1:${api}`);
    env.set('HOSTNAME', st.pod.spec.hostname ?? st.name);
    const ns = st.ns;
    for (const src of (spec.envFrom ?? []) as Obj[]) {
      const prefix = src.prefix ?? '';
      if (src.configMapRef) {
        const cm = await this.o.kube.find(`/api/v1/namespaces/${ns}/configmaps/${src.configMapRef.name}`);
        if (!cm && !src.configMapRef.optional) throw new Error(`configmap ${src.configMapRef.name} not found`);
        for (const [k, v] of Object.entries(cm?.data ?? {})) env.set(prefix + k, String(v));
      }
      if (src.secretRef) {
        const s = await this.o.kube.find(`/api/v1/namespaces/${ns}/secrets/${src.secretRef.name}`);
        if (!s && !src.secretRef.optional) throw new Error(`secret ${src.secretRef.name} not found`);
        for (const [k, v] of Object.entries(s?.data ?? {})) env.set(prefix + k, Buffer.from(String(v), 'base64').toString('utf8'));
      }
    }
    for (const e of (spec.env ?? []) as Obj[]) {
      if (e.value !== undefined) env.set(e.name, expandVars(String(e.value), env));
      else if (e.valueFrom?.fieldRef) env.set(e.name, this.fieldRef(st, e.valueFrom.fieldRef.fieldPath));
      else if (e.valueFrom?.configMapKeyRef) {
        const r = e.valueFrom.configMapKeyRef;
        const cm = await this.o.kube.find(`/api/v1/namespaces/${ns}/configmaps/${r.name}`);
        const v = cm?.data?.[r.key];
        if (v === undefined && !r.optional) throw new Error(`configmap ${r.name} key ${r.key} not found`);
        if (v !== undefined) env.set(e.name, v);
      } else if (e.valueFrom?.secretKeyRef) {
        const r = e.valueFrom.secretKeyRef;
        const s = await this.o.kube.find(`/api/v1/namespaces/${ns}/secrets/${r.name}`);
        const v = s?.data?.[r.key];
        if (v === undefined && !r.optional) throw new Error(`secret ${r.name} key ${r.key} not found`);
        if (v !== undefined) env.set(e.name, Buffer.from(v, 'base64').toString('utf8'));
      } else if (e.valueFrom?.resourceFieldRef) env.set(e.name, '1');
      else env.set(e.name, '');
    }
    return env;
  }

  /** Prepares every pod volume as a host folder; returns nothing (mounts are per container). */
  private async prepareVolumes(st: PodState): Promise<string[]> {
    const volDir = path.join(st.podDir, 'volumes');
    fs.mkdirSync(volDir, { recursive: true });
    const hostPaths: string[] = [];
    for (const v of (st.pod.spec.volumes ?? []) as Obj[]) {
      const dir = path.join(volDir, v.name);
      if (v.emptyDir) {
        fs.mkdirSync(dir, { recursive: true });
        fs.chmodSync(dir, 0o777);
      } else if (v.configMap || v.secret || v.projected || v.downwardAPI) {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true });
        fs.chmodSync(dir, 0o755);
        const sources: Obj[] = v.projected ? v.projected.sources : [v];
        const defaultMode = v.projected?.defaultMode ?? v.configMap?.defaultMode ?? v.secret?.defaultMode ?? v.downwardAPI?.defaultMode ?? 0o644;
        for (const s of sources) await this.writeSource(st, s, dir, defaultMode);
      } else if (v.persistentVolumeClaim) {
        const claim = v.persistentVolumeClaim.claimName;
        const pvc = await this.o.kube.find(`/api/v1/namespaces/${st.ns}/persistentvolumeclaims/${claim}`);
        if (!pvc) throw new Error(`persistentvolumeclaim ${claim} not found`);
        if (pvc.status?.phase !== 'Bound' || !pvc.spec.volumeName) throw new Error(`persistentvolumeclaim ${claim} is not bound yet`);
        const pv = await this.o.kube.get(`/api/v1/persistentvolumes/${pvc.spec.volumeName}`);
        const p = pv.spec.hostPath?.path ?? pv.spec.local?.path;
        if (!p) throw new Error(`persistentvolume ${pv.metadata.name} is neither hostPath nor local`);
        fs.mkdirSync(p, { recursive: true });
        hostPaths.push(`${v.name}=${p}`);
      } else if (v.hostPath) {
        if (v.hostPath.type === 'DirectoryOrCreate') fs.mkdirSync(v.hostPath.path, { recursive: true });
        hostPaths.push(`${v.name}=${v.hostPath.path}`);
      } else {
        throw new Error(`volume ${v.name}: type not supported by the test kubelet`);
      }
    }
    return hostPaths;
  }

  private async writeSource(st: PodState, s: Obj, dir: string, defaultMode: number): Promise<void> {
    const write = (rel: string, data: Buffer, mode?: number) => {
      const f = path.join(dir, rel);
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, data);
      fs.chmodSync(f, mode ?? defaultMode);
    };
    const pick = (data: Record<string, Buffer>, items: Obj[] | undefined) => {
      if (!items) for (const [k, b] of Object.entries(data)) write(k, b);
      else for (const it of items) if (data[it.key]) write(it.path, data[it.key]!, it.mode);
    };
    if (s.configMap) {
      const cm = await this.o.kube.find(`/api/v1/namespaces/${st.ns}/configmaps/${s.configMap.name}`);
      if (!cm && !s.configMap.optional) throw new Error(`configmap ${s.configMap.name} not found`);
      const data: Record<string, Buffer> = {};
      for (const [k, v] of Object.entries(cm?.data ?? {})) data[k] = Buffer.from(String(v));
      for (const [k, v] of Object.entries(cm?.binaryData ?? {})) data[k] = Buffer.from(String(v), 'base64');
      pick(data, s.configMap.items);
    }
    const secret = s.secret ? { name: s.secret.secretName ?? s.secret.name, optional: s.secret.optional, items: s.secret.items } : undefined;
    if (secret) {
      const sec = await this.o.kube.find(`/api/v1/namespaces/${st.ns}/secrets/${secret.name}`);
      if (!sec && !secret.optional) throw new Error(`secret ${secret.name} not found`);
      const data: Record<string, Buffer> = {};
      for (const [k, v] of Object.entries(sec?.data ?? {})) data[k] = Buffer.from(String(v), 'base64');
      pick(data, secret.items);
    }
    if (s.downwardAPI) {
      for (const it of s.downwardAPI.items ?? []) {
        if (it.fieldRef) write(it.path, Buffer.from(this.fieldRef(st, it.fieldRef.fieldPath)), it.mode);
      }
    }
    if (s.serviceAccountToken) {
      const sa = st.pod.spec.serviceAccountName ?? 'default';
      const tr = await this.o.kube.post(`/api/v1/namespaces/${st.ns}/serviceaccounts/${sa}/token`, {
        apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
        spec: { audiences: s.serviceAccountToken.audience ? [s.serviceAccountToken.audience] : undefined, expirationSeconds: s.serviceAccountToken.expirationSeconds ?? 3600,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: st.name, uid: st.uid } },
      });
      write(s.serviceAccountToken.path, Buffer.from(tr.status.token));
    }
  }

  private containerMounts(st: PodState, spec: Obj): string[] {
    const args: string[] = [];
    const volDir = path.join(st.podDir, 'volumes');
    const host = new Map((st.mounts ?? []).map((m) => [m.slice(0, m.indexOf('=')), m.slice(m.indexOf('=') + 1)]));
    for (const m of (spec.volumeMounts ?? []) as Obj[]) {
      let src = host.get(m.name) ?? path.join(volDir, m.name);
      if (m.subPath) {
        src = path.join(src, m.subPath);
        if (!fs.existsSync(src)) {
          fs.mkdirSync(src, { recursive: true });
          fs.chmodSync(src, 0o777);
        }
      }
      const vol = (st.pod.spec.volumes ?? []).find((v: Obj) => v.name === m.name) ?? {};
      const ro = m.readOnly || vol.configMap || vol.secret || vol.projected || vol.downwardAPI;
      args.push('-v', `${src}:${m.mountPath}${ro ? ':ro' : ''}`);
    }
    return args;
  }

  // ---- probes -------------------------------------------------------------------
  private probeTick(): void {
    const t = Date.now();
    for (const st of this.pods.values()) {
      if (st.terminating) continue;
      for (const c of st.containers) {
        if (c.init || c.state !== 'running' || c.stopping) continue;
        for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
          const p = c.spec[kind] as Obj | undefined;
          if (!p) {
            if (kind === 'readinessProbe' && c.started && !c.ready) {
              c.ready = true;
              this.trigger();
            }
            continue;
          }
          if (kind !== 'startupProbe' && !c.started) continue;
          if (kind === 'startupProbe' && c.started) continue;
          const period = (p.periodSeconds ?? 10) * 1000;
          const delay = (p.initialDelaySeconds ?? 0) * 1000;
          if (t < c.startedMs + delay) continue;
          if (c.probeInFlight[kind] || (c.probeLast[kind] !== undefined && t < c.probeLast[kind]! + period)) continue;
          c.probeInFlight[kind] = true;
          c.probeLast[kind] = t;
          void this.probe(st, c, p).then((ok) => this.probeResult(st, c, kind, p, ok)).finally(() => { c.probeInFlight[kind] = false; });
        }
      }
    }
  }

  private probeResult(st: PodState, c: CState, kind: string, p: Obj, ok: boolean): void {
    if (c.state !== 'running') return;
    if (ok) {
      c.probeOk[kind] = (c.probeOk[kind] ?? 0) + 1;
      c.probeFail[kind] = 0;
    } else {
      c.probeFail[kind] = (c.probeFail[kind] ?? 0) + 1;
      c.probeOk[kind] = 0;
    }
    const success = c.probeOk[kind]! >= (kind === 'readinessProbe' ? (p.successThreshold ?? 1) : 1);
    const failed = c.probeFail[kind]! >= (p.failureThreshold ?? 3);
    if (kind === 'startupProbe') {
      if (success) { c.started = true; this.trigger(); }
      else if (failed) void this.kill(st, c, 'startup probe failed');
    } else if (kind === 'readinessProbe') {
      if (success && !c.ready) { c.ready = true; this.trigger(); }
      else if (failed && c.ready) { c.ready = false; this.trigger(); }
    } else if (failed) {
      void this.kill(st, c, 'liveness probe failed');
    }
  }

  private async kill(st: PodState, c: CState, why: string): Promise<void> {
    if (!c.podmanName || c.stopping) return;
    c.stopping = true;
    c.ready = false;
    this.log(`container ${st.ns}/${st.name}/${c.name}: ${why}, restarting`);
    await podman.stop(c.podmanName, Number(st.pod.spec.terminationGracePeriodSeconds ?? 30));
    this.trigger();
  }

  private async probe(st: PodState, c: CState, p: Obj): Promise<boolean> {
    const timeout = (p.timeoutSeconds ?? 1) * 1000;
    const port = (v: unknown): number => {
      if (typeof v === 'number') return v;
      if (/^\d+$/.test(String(v))) return Number(v);
      const named = (c.spec.ports ?? []).find((x: Obj) => x.name === v);
      return named ? Number(named.containerPort) : -1;
    };
    if (p.tcpSocket) {
      const host = p.tcpSocket.host ?? st.ip;
      return new Promise((resolve) => {
        const s = net.connect({ host, port: port(p.tcpSocket.port), timeout });
        s.on('connect', () => { s.destroy(); resolve(true); });
        s.on('timeout', () => { s.destroy(); resolve(false); });
        s.on('error', () => resolve(false));
      });
    }
    if (p.httpGet) {
      const g = p.httpGet;
      return new Promise((resolve) => {
        const headers: Record<string, string> = {};
        for (const h of g.httpHeaders ?? []) headers[h.name] = h.value;
        const req = http.get({ host: g.host ?? st.ip, port: port(g.port), path: g.path ?? '/', headers, timeout }, (res) => {
          res.resume();
          resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
        });
        req.on('timeout', () => { req.destroy(); resolve(false); });
        req.on('error', () => resolve(false));
      });
    }
    if (p.exec) {
      return (await podman.exec(c.podmanName!, p.exec.command, timeout + 5000)) === 0;
    }
    return true;
  }

  // ---- status -----------------------------------------------------------------------
  private async reportStatus(st: PodState): Promise<void> {
    const cs = (c: CState): Obj => {
      const state: Obj =
        c.state === 'running' ? { running: { startedAt: c.startedAt } }
        : c.state === 'terminated' ? { terminated: { exitCode: c.exitCode, reason: c.reason, startedAt: c.startedAt, finishedAt: c.finishedAt, containerID: `podman://${c.containerId}` } }
        : { waiting: { reason: c.reason, ...(c.message ? { message: c.message } : {}) } };
      const backingOff = c.state === 'terminated' && c.backoffUntil > Date.now();
      return {
        name: c.name, image: c.spec.image, imageID: c.spec.image, ready: c.init ? c.state === 'terminated' && c.exitCode === 0 : c.ready,
        started: c.state === 'running' && c.started, restartCount: c.restartCount,
        state: backingOff ? { waiting: { reason: 'CrashLoopBackOff', message: `back-off restarting ${c.name}` } } : state,
        lastState: c.lastState ?? {},
        ...(c.containerId ? { containerID: `podman://${c.containerId}` } : {}),
      };
    };
    const inits = st.containers.filter((c) => c.init);
    const mains = st.containers.filter((c) => !c.init);
    const initialized = inits.every((c) => c.state === 'terminated' && c.exitCode === 0);
    const policy = st.pod.spec.restartPolicy ?? 'Always';
    let phase = 'Pending';
    if (initialized && mains.every((c) => c.state === 'terminated') && policy !== 'Always') {
      const done = mains.every((c) => c.exitCode === 0);
      const willRestart = policy === 'OnFailure' && !done;
      if (!willRestart) phase = done ? 'Succeeded' : 'Failed';
      else phase = 'Running';
    } else if (initialized && mains.some((c) => c.state === 'running' || c.restartCount > 0)) phase = 'Running';
    if (inits.some((c) => c.state === 'terminated' && c.exitCode !== 0) && policy === 'Never') phase = 'Failed';
    const containersReady = mains.every((c) => c.ready && c.state === 'running');
    const prev: Obj[] = st.pod.status?.conditions ?? [];
    const cond = (type: string, ok: boolean, reason?: string): Obj => {
      const status = ok ? 'True' : 'False';
      const p = prev.find((x) => x.type === type);
      return { type, status, lastProbeTime: null, lastTransitionTime: p && p.status === status ? p.lastTransitionTime : now(), ...(ok || !reason ? {} : { reason }) };
    };
    const status: Obj = {
      phase,
      hostIP: '127.0.0.1',
      podIP: st.ip,
      podIPs: [{ ip: st.ip }],
      startTime: st.startTime,
      qosClass: st.pod.status?.qosClass ?? 'BestEffort',
      conditions: [
        cond('Initialized', initialized, 'ContainersNotInitialized'),
        cond('Ready', containersReady, 'ContainersNotReady'),
        cond('ContainersReady', containersReady, 'ContainersNotReady'),
        cond('PodScheduled', true),
      ],
      initContainerStatuses: inits.map(cs),
      containerStatuses: mains.map(cs),
      ...(st.volumeError ? { message: st.volumeError, reason: 'ContainerCreating' } : { message: null, reason: null }),
    };
    const key = JSON.stringify(status, (k, v) => (k === 'lastTransitionTime' ? undefined : v));
    if (key === st.lastStatus) return;
    try {
      const updated = await this.o.kube.mergePatch(`/api/v1/namespaces/${st.ns}/pods/${st.name}/status`, { metadata: { uid: st.uid }, status });
      st.pod = updated;
      st.lastStatus = key;
    } catch (e: any) {
      if (!(e instanceof KubeError && (e.status === 404 || e.status === 409))) throw e;
    }
  }
}

/** Kubernetes' $(VAR) expansion: known vars are replaced, $$ escapes, unknown stay. */
export function expandVars(s: string, env: Map<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return name !== undefined && env.has(name) ? env.get(name)! : m;
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
