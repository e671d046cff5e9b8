/**
 * The shapes modelship reads from the API: only the fields it uses, so a newer server's extra
 * fields pass through untouched.
 */

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  generation?: number;
  uid?: string;
  /** Set once deletion began; the object lingers until its finalizers and grace period are done. */
  deletionTimestamp?: Date;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  // biome-ignore lint/suspicious/noExplicitAny: manifests are open-ended; typed views below read them
  [field: string]: any;
}

export interface ObjectList<T extends KubeObject = KubeObject> {
  items: T[];
  metadata?: { resourceVersion?: string };
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface Deployment extends KubeObject {
  spec?: { replicas?: number; template?: { spec?: { containers?: { name: string; image?: string }[] } } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
    conditions?: Condition[];
  };
}

export interface ContainerStatus {
  name: string;
  image?: string;
  ready?: boolean;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    terminated?: { reason?: string; exitCode?: number; message?: string };
    running?: object;
  };
  lastState?: { terminated?: { reason?: string; exitCode?: number; message?: string } };
}

export interface Pod extends KubeObject {
  spec?: { containers?: { name: string; image?: string }[]; nodeName?: string };
  status?: {
    phase?: string;
    conditions?: Condition[];
    containerStatuses?: ContainerStatus[];
  };
}

export interface KubeEvent extends KubeObject {
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  involvedObject?: { kind?: string; name?: string };
}
