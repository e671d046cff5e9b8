/** The pods of an app, as deploy-rollout labels them (its manifests.ts), every version's. */
import { LABELS } from '../deploy-rollout/manifests.ts';

export const appSelector = (app: string) => `${LABELS.name}=${app}`;
