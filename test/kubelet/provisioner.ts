// A minimal dynamic provisioner for the default StorageClass `standard`
// (provisioner tributary.dev/hostpath, binding Immediate): every pending claim of
// that class gets a hostPath PV under DIR/pv/, pre-bound to the claim, which the
// real PV controller then binds. Released PVs with reclaim policy Delete lose
// their folder and object. Folders are per claim, so they outlive pods.
import fs from 'node:fs';
import path from 'node:path';
import type { Kube, Obj } from './kube.ts';

export const STORAGE_CLASS = 'standard';
export const PROVISIONER = 'tributary.dev/hostpath';

export class Provisioner {
  private readonly kube: Kube;
  private readonly dir: string;
  private readonly log: (m: string) => void;
  private timer?: NodeJS.Timeout;
  private busy = false;

  constructor(kube: Kube, dir: string, log: (m: string) => void) {
    this.kube = kube;
    this.dir = dir;
    this.log = log;
  }

  async start(): Promise<void> {
    const sc = await this.kube.find(`/apis/storage.k8s.io/v1/storageclasses/${STORAGE_CLASS}`);
    if (!sc) {
      await this.kube.post('/apis/storage.k8s.io/v1/storageclasses', {
        apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass',
        metadata: { name: STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
        provisioner: PROVISIONER, reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate',
      });
    }
    this.timer = setInterval(() => void this.tick(), 500);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const classes = await this.kube.get('/apis/storage.k8s.io/v1/storageclasses');
      const ours = new Set((classes.items as Obj[]).filter((c) => c.provisioner === PROVISIONER).map((c) => c.metadata.name as string));
      const pvcs = await this.kube.get('/api/v1/persistentvolumeclaims');
      const pvs = await this.kube.get('/api/v1/persistentvolumes');
      const byClaim = new Set((pvs.items as Obj[]).map((pv) => pv.spec.claimRef?.uid).filter(Boolean));
      for (const pvc of pvcs.items as Obj[]) {
        if (pvc.status?.phase !== 'Pending' || pvc.spec.volumeName || pvc.metadata.deletionTimestamp) continue;
        if (!ours.has(pvc.spec.storageClassName) || byClaim.has(pvc.metadata.uid)) continue;
        const name = `pvc-${pvc.metadata.uid}`;
        const hostDir = path.join(this.dir, 'pv', `${pvc.metadata.namespace}_${pvc.metadata.name}_${pvc.metadata.uid.slice(0, 8)}`);
        fs.mkdirSync(hostDir, { recursive: true });
        fs.chmodSync(hostDir, 0o777);
        await this.kube.post('/api/v1/persistentvolumes', {
          apiVersion: 'v1', kind: 'PersistentVolume',
          metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': PROVISIONER } },
          spec: {
            capacity: { storage: pvc.spec.resources?.requests?.storage ?? '1Gi' },
            accessModes: pvc.spec.accessModes ?? ['ReadWriteOnce'],
            persistentVolumeReclaimPolicy: 'Delete',
            storageClassName: pvc.spec.storageClassName,
            volumeMode: pvc.spec.volumeMode ?? 'Filesystem',
            hostPath: { path: hostDir, type: 'DirectoryOrCreate' },
            claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: pvc.metadata.namespace, name: pvc.metadata.name, uid: pvc.metadata.uid },
          },
        }).catch((e: Error) => this.log(`provision ${name}: ${e.message}`));
        this.log(`provisioned ${name} for ${pvc.metadata.namespace}/${pvc.metadata.name} at ${hostDir}`);
      }
      for (const pv of pvs.items as Obj[]) {
        if (pv.status?.phase !== 'Released' || pv.spec.persistentVolumeReclaimPolicy !== 'Delete') continue;
        if (pv.metadata.annotations?.['pv.kubernetes.io/provisioned-by'] !== PROVISIONER) continue;
        const p = pv.spec.hostPath?.path as string | undefined;
        if (p && p.startsWith(path.join(this.dir, 'pv') + '/')) fs.rmSync(p, { recursive: true, force: true });
        await this.kube.delete(`/api/v1/persistentvolumes/${pv.metadata.name}`);
        this.log(`deleted released ${pv.metadata.name}`);
      }
    } catch (e: any) {
      this.log(`provisioner: ${e.message}`);
    } finally {
      this.busy = false;
    }
  }
}
