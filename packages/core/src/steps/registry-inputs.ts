/**
 * The registry credentials and transport inputs every step that talks to a registry takes, so
 * their names, secrecy and wording are the same wherever a user meets them.
 */
import { input } from './spec.ts';

export const registryInputs = (usernameDescription: string) => ({
  'registry-username': input.string({ description: usernameDescription, example: 'octocat' }),
  'registry-password': input.string({
    description: 'Password or token for the registry; masked, never logged or written to a report.',
    secret: true,
    example: 'a token from a secret',
  }),
  'insecure-registry': input.boolean({
    description: 'Talk plain HTTP to the registry (for a local registry not on localhost).',
    default: 'false',
  }),
});
