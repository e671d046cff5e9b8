/**
 * The credentials input every step that talks to Kubernetes takes, so its name, secrecy and
 * wording are the same wherever a user meets it.
 */
import { isKubeconfigContent } from '../kube/kubeconfig-content.ts';
import { input } from './spec.ts';

/** `when`: the target or provider that needs it (`kubernetes: `), for steps where others do not. */
export const kubeconfigInput = (when = '') =>
  input.string({
    description: `${when}${when ? 'a' : 'A'} kubeconfig file, or its content (from a CI secret). The content is masked, never logged or written to a report. Default: the \`KUBECONFIG\` variable, else the service account of the pod the job runs in.`,
    secret: isKubeconfigContent,
    example: 'a kubeconfig from a secret',
  });
