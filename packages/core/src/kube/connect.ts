/** A Kube for the credentials the user gave (see config.ts for the order they are looked for in). */
import { Kube } from './client.ts';
import { kubeconfigSource, loadKubeconfig } from './config.ts';

export async function connectKube(
  kubeconfig: string | undefined,
  opts: { describe: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal },
): Promise<Kube> {
  const source = kubeconfigSource(kubeconfig, opts.env ?? process.env);
  return new Kube(await loadKubeconfig(source, opts.describe), opts.signal);
}
