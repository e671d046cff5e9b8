/**
 * Where the cluster's credentials come from, in order: the `kubeconfig` input (a file path or the
 * file's content, as a CI secret variable gives it), the KUBECONFIG variable, or the service
 * account of the pod the job runs in. The content is a secret: every credential in it is masked
 * before anything can log it, and no error ever quotes it.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { InputError } from '../errors.ts';
import { addSecret } from '../secrets/redact.ts';
import { isKubeconfigContent } from './kubeconfig-content.ts';

export type KubeconfigSource =
  | { kind: 'content'; text: string }
  | { kind: 'file'; path: string; from: 'input' | 'KUBECONFIG' }
  | { kind: 'in-cluster' };

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** The input's content, else its path, else KUBECONFIG's first file, else the pod's service account. */
export function kubeconfigSource(
  value: string | undefined,
  env: NodeJS.ProcessEnv,
  inCluster = existsSync(IN_CLUSTER_TOKEN) && !!env.KUBERNETES_SERVICE_HOST,
): KubeconfigSource {
  const v = value?.trim();
  if (v) {
    if (isKubeconfigContent(v)) return { kind: 'content', text: v };
    return { kind: 'file', path: v, from: 'input' };
  }
  // KUBECONFIG may list several files; the first is the one kubectl writes to and reads first.
  const first = env.KUBECONFIG?.split(':').find((p) => p.trim() !== '');
  if (first) return { kind: 'file', path: first, from: 'KUBECONFIG' };
  if (inCluster) return { kind: 'in-cluster' };
  throw new InputError(
    'no Kubernetes credentials: the kubeconfig input is empty, KUBECONFIG is not set, and this job does not run in a pod',
    {
      fix: 'Set the kubeconfig input to a kubeconfig file or its content (from a secret).',
    },
  );
}

/** A loaded kubeconfig with its credentials masked; `describe` names the input for errors. */
export async function loadKubeconfig(source: KubeconfigSource, describe: string): Promise<KubeConfig> {
  const kc = new KubeConfig();
  if (source.kind === 'in-cluster') {
    kc.loadFromCluster();
    return kc;
  }
  const where =
    source.kind === 'file'
      ? `${source.from === 'input' ? describe : 'KUBECONFIG'} (${source.path})`
      : describe;
  let text: string;
  if (source.kind === 'file') {
    text = await readFile(source.path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new InputError(`cannot read the kubeconfig ${where}: ${e.code ?? e.message}`, {
        fix: 'Point it at an existing kubeconfig file, or pass the content itself.',
      });
    });
  } else text = source.text;
  addSecret(text);
  try {
    kc.loadFromString(text);
  } catch (e) {
    // The parser's message may quote the content, which is a secret: keep only where it failed.
    const line = /line (\d+)/.exec(String((e as Error).message))?.[1];
    throw new InputError(`${where} is not a valid kubeconfig${line ? ` (YAML error at line ${line})` : ''}`, {
      fix: 'Give a kubeconfig as `kubectl config view --raw` prints it.',
    });
  }
  maskCredentials(kc);
  if (!kc.getCurrentCluster())
    throw new InputError(`${where} names no current context with a cluster`, {
      fix: 'Set current-context in the kubeconfig, or give one whose context has a cluster.',
    });
  return kc;
}

/** A token or key could appear in a later message (a server echoing a header): mask each one. */
function maskCredentials(kc: KubeConfig): void {
  for (const u of kc.getUsers()) {
    for (const v of [u.token, u.password, u.keyData, u.certData]) if (v) addSecret(v);
  }
}
