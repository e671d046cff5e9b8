/**
 * Every line a step prints passes through here, so a secret registered once (a registry
 * password, a token read from an input) is replaced wherever it would appear.
 */
const secrets = new Set<string>();

export function addSecret(value: string): void {
  // Short values would blank out ordinary words; CI systems refuse to mask them too.
  if (value.length >= 4) secrets.add(value);
  for (const line of value.split(/\r?\n/))
    if (line.trim().length >= 4 && line !== value) secrets.add(line.trim());
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  return out;
}
