// Table printers for storage: PersistentVolume, PersistentVolumeClaim, StorageClass and
// VolumeAttachment. Quantities print in canonical form.

import type { KubeObject } from '../../api/types.ts';
import {
  AGE_COLUMN,
  NAME_COLUMN,
  accessModesString,
  ageOf,
  col,
  nameOf,
  quantity,
  str,
  type Cell,
  type PrintContext,
  type Printer,
} from './format.ts';

/** Legacy annotation that takes precedence over spec.storageClassName. */
const BETA_STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';
const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const BETA_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';

function storageClassOf(obj: KubeObject): string {
  const annotations = obj.metadata?.annotations ?? {};
  if (BETA_STORAGE_CLASS_ANNOTATION in annotations) return annotations[BETA_STORAGE_CLASS_ANNOTATION];
  return str(obj.spec?.storageClassName);
}

function unsetOr(v: unknown): string {
  return typeof v === 'string' ? v : '<unset>';
}

export const persistentVolumePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Capacity', 'string', 'Storage capacity of the volume.'),
    col('Access Modes', 'string', 'Ways the volume can be mounted.'),
    col('Reclaim Policy', 'string', 'What happens to the volume when its claim is released.'),
    col('Status', 'string', 'Phase of the volume.'),
    col('Claim', 'string', 'The claim bound to the volume.'),
    col('StorageClass', 'string', 'StorageClass of the volume.'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the volume.'),
    col('Reason', 'string', 'Reason for the phase, when failed.'),
    AGE_COLUMN,
    col('VolumeMode', 'string', 'Filesystem or Block.', { priority: 1 }),
  ],
  print(pv: KubeObject, ctx: PrintContext): Cell[] {
    const spec = pv.spec ?? {};
    const claim = spec.claimRef ? `${str(spec.claimRef.namespace)}/${str(spec.claimRef.name)}` : '';
    const phase = pv.metadata?.deletionTimestamp ? 'Terminating' : str(pv.status?.phase);
    return [
      nameOf(pv),
      quantity(spec.capacity, 'storage'),
      accessModesString(spec.accessModes),
      str(spec.persistentVolumeReclaimPolicy),
      phase,
      claim,
      storageClassOf(pv),
      unsetOr(spec.volumeAttributesClassName),
      str(pv.status?.reason),
      ageOf(pv, ctx),
      unsetOr(spec.volumeMode),
    ];
  },
};

export const persistentVolumeClaimPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Status', 'string', 'Phase of the claim.'),
    col('Volume', 'string', 'The volume bound to the claim.'),
    col('Capacity', 'string', 'Storage capacity of the bound volume.'),
    col('Access Modes', 'string', 'Ways the bound volume can be mounted.'),
    col('StorageClass', 'string', 'StorageClass of the claim.'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the claim.'),
    AGE_COLUMN,
    col('VolumeMode', 'string', 'Filesystem or Block.', { priority: 1 }),
  ],
  print(pvc: KubeObject, ctx: PrintContext): Cell[] {
    const spec = pvc.spec ?? {};
    const phase = pvc.metadata?.deletionTimestamp ? 'Terminating' : str(pvc.status?.phase);
    const bound = typeof spec.volumeName === 'string' && spec.volumeName !== '';
    return [
      nameOf(pvc),
      phase,
      str(spec.volumeName),
      bound ? quantity(pvc.status?.capacity, 'storage') : '',
      bound ? accessModesString(pvc.status?.accessModes) : '',
      storageClassOf(pvc),
      unsetOr(spec.volumeAttributesClassName),
      ageOf(pvc, ctx),
      unsetOr(spec.volumeMode),
    ];
  },
};

export const storageClassPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Provisioner', 'string', 'Provisioner that creates volumes of the class.'),
    col('ReclaimPolicy', 'string', 'Reclaim policy of volumes of the class.'),
    col('VolumeBindingMode', 'string', 'When volumes are bound and provisioned.'),
    col('AllowVolumeExpansion', 'string', 'Whether volumes of the class can be expanded.'),
    AGE_COLUMN,
  ],
  print(sc: KubeObject, ctx: PrintContext): Cell[] {
    const annotations = sc.metadata?.annotations ?? {};
    const isDefault = annotations[DEFAULT_CLASS_ANNOTATION] === 'true' || annotations[BETA_DEFAULT_CLASS_ANNOTATION] === 'true';
    return [
      isDefault ? `${nameOf(sc)} (default)` : nameOf(sc),
      str(sc.provisioner),
      typeof sc.reclaimPolicy === 'string' ? sc.reclaimPolicy : 'Delete',
      typeof sc.volumeBindingMode === 'string' ? sc.volumeBindingMode : 'Immediate',
      sc.allowVolumeExpansion === true,
      ageOf(sc, ctx),
    ];
  },
};

export const volumeAttachmentPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Attacher', 'string', 'Volume driver that attaches the volume.', { format: 'name' }),
    col('PV', 'string', 'Persistent volume being attached.'),
    col('Node', 'string', 'Node the volume is attached to.'),
    col('Attached', 'boolean', 'Whether the attach operation succeeded.'),
    AGE_COLUMN,
  ],
  print(va: KubeObject, ctx: PrintContext): Cell[] {
    return [
      nameOf(va),
      str(va.spec?.attacher),
      str(va.spec?.source?.persistentVolumeName),
      str(va.spec?.nodeName),
      va.status?.attached === true,
      ageOf(va, ctx),
    ];
  },
};
