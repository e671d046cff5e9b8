/**
 * Every input checked before the cluster is touched: a typo in a toleration costs milliseconds,
 * not a half-applied rollout. The result is the Plan the strategies work from.
 */
import { readFile } from 'node:fs/promises';
import { InputError } from '../../errors.ts';
import { parseDuration } from '../../format/duration.ts';
import { type CanaryStep, parseCanarySteps } from '../../kube/rollout/canary-steps.ts';
import { isStrategyKind, STRATEGY_KINDS, type StrategyKind } from '../../kube/rollout/kinds.ts';
import type { RolloutContext } from '../../kube/rollout/strategy.ts';
import { parseVersions } from '../../kube/rollout/versions.ts';
import { isTrafficKind, TRAFFIC_KINDS, type TrafficKind } from '../../kube/traffic/kinds.ts';
import type { KubeObject } from '../../kube/types.ts';
import { parseReference } from '../../oci/reference.ts';
import type { Logger } from '../../platform/port.ts';
import { checkPromotion } from './registry.ts';
import type { DeployRolloutInputs } from './spec.ts';

export interface Toleration {
  key: string;
  operator: 'Equal' | 'Exists';
  value?: string;
  effect: string;
}

export interface Plan {
  app: string;
  namespace: string;
  image: string;
  /** What people call this image: its tag, else the digest's first 12 hex digits. */
  version: string;
  replicas: number;
  port: number;
  resources: Record<string, string>;
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  env: { name: string; value: string }[];
  deadlineMs: number;
  scaleDownDelayMs: number;
  lockTimeoutMs: number;
  strategy: StrategyKind;
  versions?: RolloutContext['versions'];
  canary?: {
    steps: CanaryStep[];
    traffic: TrafficKind;
    gateway?: { name: string; namespace?: string };
    mirror?: number;
  };
  /** The user's own Deployment and Service, when given. */
  manifests: { deployment?: KubeObject; service?: KubeObject };
}

// Names get `-preview`, `-canary` and the like appended; a Service name is at most 63 characters.
const APP = /^[a-z]([-a-z0-9]{0,44}[a-z0-9])?$/;
const QUANTITY = /^\d+(\.\d+)?(m|k|Ki|M|Mi|G|Gi|T|Ti|P|Pi|E|Ei)?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

const bad = (input: string, what: string, fix: string) =>
  new InputError(what, { where: { path: input }, fix });

export async function checkInputs(
  inputs: DeployRolloutInputs,
  log: Logger,
  describe: (n: string) => string,
): Promise<Plan> {
  const { app, namespace } = inputs;
  if (!APP.test(app))
    throw bad(
      describe('app'),
      `'${app}' is not a valid app name`,
      'Use at most 46 lower-case letters, digits and -, starting with a letter.',
    );
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace))
    throw bad(
      describe('namespace'),
      `'${namespace}' is not a valid namespace name`,
      'Use lower-case letters, digits and -.',
    );
  const ref = parseReference(inputs.image, describe('image'));
  checkPromotion(inputs, describe);
  if (!ref.digest)
    log.warn(
      `${describe('image')} '${inputs.image}' has no digest: the tag can move after this deploy. Pass build-image's image output.`,
    );
  const deadlineMs = parseDuration(inputs['progress-deadline']);
  if (deadlineMs === undefined || deadlineMs < 1000)
    throw bad(
      describe('progress-deadline'),
      `'${inputs['progress-deadline']}' is not a duration`,
      'Write it like 90s, 10m or 1h30m.',
    );
  const strategy = inputs.strategy;
  if (!isStrategyKind(strategy))
    throw bad(
      describe('strategy'),
      `strategy '${strategy}' is not available yet in this version`,
      `Use one of ${Object.keys(STRATEGY_KINDS).join(', ')}.`,
    );
  if (strategy === 'canary' && !inputs.wait)
    throw bad(
      describe('wait'),
      'a canary moves traffic step by step, so it cannot run without waiting',
      'Set wait to true, or use strategy rolling to apply without waiting.',
    );
  if (!isTrafficKind(inputs.traffic))
    throw bad(
      describe('traffic'),
      `traffic router '${inputs.traffic}' is not available yet in this version`,
      `Use one of ${Object.keys(TRAFFIC_KINDS).join(', ')}.`,
    );
  if (strategy !== 'canary' && inputs.steps.length)
    log.warn(`${describe('steps')} is for strategy canary; strategy ${strategy} ignores it`);
  if (strategy !== 'versions' && inputs.versions.length)
    log.warn(`${describe('versions')} is for strategy versions; strategy ${strategy} ignores it`);
  const canary = strategy === 'canary' ? canaryOf(inputs, inputs.traffic, describe) : undefined;
  const versions = strategy === 'versions' ? versionsOf(inputs, describe) : undefined;
  const lockTimeoutMs = parseDuration(inputs['lock-timeout']);
  if (lockTimeoutMs === undefined)
    throw bad(
      describe('lock-timeout'),
      `'${inputs['lock-timeout']}' is not a duration`,
      'Write it like 0s, 90s or 10m.',
    );
  const scaleDownDelayMs = parseDuration(inputs['scale-down-delay']);
  if (scaleDownDelayMs === undefined)
    throw bad(
      describe('scale-down-delay'),
      `'${inputs['scale-down-delay']}' is not a duration`,
      'Write it like 0s, 30s or 5m.',
    );
  return {
    app,
    namespace,
    image: inputs.image,
    version: ref.tag ?? ref.digest?.slice(7, 19) ?? 'latest',
    replicas: inputs.replicas,
    port: inputs.port,
    resources: resourcesOf(inputs, describe),
    nodeSelector: Object.fromEntries(
      inputs['node-selector'].map((l) => pairOf(l, describe('node-selector'), 'key=value')),
    ),
    tolerations: inputs.tolerations.map((t) => tolerationOf(t, describe('tolerations'))),
    env: inputs.env.map((l) => {
      const [name, value] = pairOf(l, describe('env'), 'NAME=value');
      return { name, value };
    }),
    deadlineMs,
    scaleDownDelayMs,
    lockTimeoutMs,
    strategy,
    ...(canary && { canary }),
    ...(versions && { versions: { ...versions, tag: ref.tag ?? ref.digest?.slice(7, 19) ?? 'latest' } }),
    manifests: inputs.manifests ? await readManifests(inputs.manifests, describe('manifests')) : {},
  };
}

/** strategy versions: the list, and the router and Gateway as a canary's (its steps unused). */
function versionsOf(inputs: DeployRolloutInputs, describe: (n: string) => string) {
  const list = parseVersions(inputs.versions, describe('versions'));
  const route = canaryOf(inputs, inputs.traffic, describe);
  const gateway = 'gateway' in route ? { gateway: route.gateway } : {};
  return { list, traffic: route.traffic, ...gateway, input: describe('versions') };
}

function canaryOf(inputs: DeployRolloutInputs, traffic: TrafficKind, describe: (n: string) => string) {
  const steps = parseCanarySteps(inputs.steps.length ? inputs.steps : ['100%'], describe('steps'));
  if (inputs.mirror > 0 && traffic !== 'gateway-api')
    throw bad(
      describe('mirror'),
      `mirroring requests needs traffic gateway-api (the HTTPRoute's RequestMirror filter), not ${traffic}`,
      `Set ${describe('traffic')} to gateway-api, or ${describe('mirror')} to 0.`,
    );
  if (traffic !== 'gateway-api') return { steps, traffic };
  const [a, b] = (inputs.gateway ?? '').split('/');
  if (!a)
    throw bad(
      describe('gateway'),
      'traffic gateway-api needs the Gateway to attach the HTTPRoute to',
      `Set ${describe('gateway')} to its name or namespace/name.`,
    );
  const mirror = inputs.mirror > 0 ? { mirror: inputs.mirror } : {};
  return { steps, traffic, gateway: b ? { namespace: a, name: b } : { name: a }, ...mirror };
}

export function resourcesOf(
  inputs: Pick<DeployRolloutInputs, 'cpu' | 'memory' | 'gpus'>,
  describe: (n: string) => string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['cpu', 'memory'] as const) {
    const v = inputs[name];
    if (v === undefined) continue;
    if (!QUANTITY.test(v))
      throw bad(
        describe(name),
        `'${v}' is not a Kubernetes quantity`,
        name === 'cpu' ? 'Write it like 500m or 2.' : 'Write it like 512Mi or 2Gi.',
      );
    out[name] = v;
  }
  if (inputs.gpus > 0) out['nvidia.com/gpu'] = String(inputs.gpus);
  return out;
}

export function pairOf(line: string, input: string, shape: string): [string, string] {
  const eq = line.indexOf('=');
  const key = eq < 0 ? '' : line.slice(0, eq).trim();
  if (!key) throw bad(input, `'${line}' is not ${shape}`, `Write one ${shape} per line.`);
  return [key, line.slice(eq + 1).trim()];
}

/** `key[=value]:Effect`, as `kubectl taint` writes a taint. */
export function tolerationOf(text: string, input: string): Toleration {
  const m = /^([^=:\s]+)(?:=([^:\s]*))?:(\w+)$/.exec(text.trim());
  if (!m || !LABEL_KEY.test(m[1]!) || !EFFECTS.includes(m[3]!))
    throw bad(
      input,
      `'${text}' is not a toleration`,
      `Write key[=value]:Effect, with Effect one of ${EFFECTS.join(', ')}.`,
    );
  return m[2] === undefined
    ? { key: m[1]!, operator: 'Exists', effect: m[3]! }
    : { key: m[1]!, operator: 'Equal', value: m[2], effect: m[3]! };
}

/** The user's Deployment and Service; anything else in the file is refused rather than ignored. */
async function readManifests(path: string, input: string): Promise<Plan['manifests']> {
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw bad(
      input,
      `cannot read the manifests file ${path}: ${e.code ?? e.message}`,
      'Point it at a YAML file with a Deployment and/or a Service.',
    );
  });
  const { parseAllDocuments } = await import('yaml');
  const out: Plan['manifests'] = {};
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) {
      const e = doc.errors[0]!;
      const line = e.linePos?.[0];
      throw new InputError(`${e.message.split('\n')[0]}`, {
        where: { file: path, ...(line && { line: line.line, column: line.col }) },
        fix: 'Fix the YAML.',
      });
    }
    const obj = doc.toJS() as KubeObject | null;
    if (!obj) continue;
    const kind = obj.kind === 'Deployment' ? 'deployment' : obj.kind === 'Service' ? 'service' : undefined;
    if (!kind || out[kind])
      throw new InputError(`it holds ${kind ? 'a second' : 'an object of kind'} ${obj.kind ?? '(none)'}`, {
        where: { file: path },
        fix: 'Give at most one Deployment and one Service; apply other objects in an earlier job.',
      });
    out[kind] = obj;
  }
  return out;
}
