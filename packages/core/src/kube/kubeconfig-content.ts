/**
 * Whether a kubeconfig value is the file's content rather than its path: content has a newline, or
 * starts as a kubeconfig's YAML or JSON does. Content is a secret; a path is not, and an error
 * about a file the user named must show which.
 */
export function isKubeconfigContent(value: string): boolean {
  const v = value.trim();
  return /\n/.test(v) || /^(apiVersion|kind|clusters|\{)/.test(v);
}
