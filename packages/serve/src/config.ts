/**
 * The server's configuration, from the environment as a container gets it (flags on the CLI map
 * onto the same names). Checked once at start: a bad value stops the server with one line that
 * names the variable, before the model is loaded.
 */
import { basename } from 'node:path';
import { InputError } from '@modelship/core/errors.ts';
import { DEVICES, type Device } from '@modelship/core/onnx/device.ts';

export interface ServeConfig {
  model: string;
  name: string;
  version: string;
  host: string;
  port: number;
  device: Device;
  threads: number;
  /** Inference requests waiting or running; one more is answered 429. */
  maxQueue: number;
  maxBodyBytes: number;
  timeoutMs: number;
  /** The longest pause while a request body arrives; a client that stalls longer gets 408. */
  bodyTimeoutMs: number;
  /** Dynamic batching: rows per merged run; 0 turns it off. */
  batchMaxRows: number;
  batchWaitMs: number;
  shutdownTimeoutMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

interface Setting {
  env: string;
  flag: string;
  description: string;
  default?: string;
}

/** Every setting, with its variable and flag; the README's table is written from this list. */
export const SETTINGS: Record<keyof ServeConfig, Setting> = {
  model: { env: 'MODELSHIP_MODEL', flag: 'model', description: 'Path of the .onnx model (required).' },
  name: {
    env: 'MODELSHIP_MODEL_NAME',
    flag: 'name',
    description: "Model name in URLs; default: the file's name without .onnx.",
  },
  version: {
    env: 'MODELSHIP_MODEL_VERSION',
    flag: 'version',
    description: 'Model version, in URLs and metric labels.',
    default: '1',
  },
  host: { env: 'MODELSHIP_HOST', flag: 'host', description: 'Address to listen on.', default: '0.0.0.0' },
  port: {
    env: 'MODELSHIP_PORT',
    flag: 'port',
    description: 'Port to listen on; 0 picks a free one.',
    default: '8080',
  },
  device: {
    env: 'MODELSHIP_DEVICE',
    flag: 'device',
    description: `Execution provider: ${DEVICES.join(', ')} (as evaluate-model).`,
    default: 'auto',
  },
  threads: {
    env: 'MODELSHIP_THREADS',
    flag: 'threads',
    description: "onnxruntime's intra-op threads; 0 leaves it to onnxruntime.",
    default: '0',
  },
  maxQueue: {
    env: 'MODELSHIP_MAX_QUEUE',
    flag: 'max-queue',
    description: 'Inference requests waiting or running before new ones get 429.',
    default: '256',
  },
  maxBodyBytes: {
    env: 'MODELSHIP_MAX_BODY_BYTES',
    flag: 'max-body-bytes',
    description: 'Largest request body; a larger one gets 413.',
    default: '10485760',
  },
  timeoutMs: {
    env: 'MODELSHIP_TIMEOUT_MS',
    flag: 'timeout-ms',
    description: 'A request not answered in this time gets 504.',
    default: '10000',
  },
  bodyTimeoutMs: {
    env: 'MODELSHIP_BODY_TIMEOUT_MS',
    flag: 'body-timeout-ms',
    description: 'A request whose body stops arriving for this long gets 408.',
    default: '5000',
  },
  batchMaxRows: {
    env: 'MODELSHIP_BATCH_MAX_ROWS',
    flag: 'batch-max-rows',
    description: 'Dynamic batching: merge concurrent requests up to this many rows; 0 is off.',
    default: '0',
  },
  batchWaitMs: {
    env: 'MODELSHIP_BATCH_WAIT_MS',
    flag: 'batch-wait-ms',
    description:
      'Dynamic batching: how long a request that finds the model idle waits for others; 0 merges only what queued while the model was busy.',
    default: '0',
  },
  shutdownTimeoutMs: {
    env: 'MODELSHIP_SHUTDOWN_TIMEOUT_MS',
    flag: 'shutdown-timeout-ms',
    description: 'On SIGTERM, how long in-flight requests may take before the process exits anyway.',
    default: '25000',
  },
  logLevel: {
    env: 'MODELSHIP_LOG_LEVEL',
    flag: 'log-level',
    description: 'debug (every request), info, warn or error.',
    default: 'info',
  },
};

const INTEGER = /^\d+$/;
const URL_PART = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export function readConfig(env: NodeJS.ProcessEnv): ServeConfig {
  const get = (key: keyof ServeConfig) => {
    const v = env[SETTINGS[key].env]?.trim();
    return v === undefined || v === '' ? SETTINGS[key].default : v;
  };
  const int = (key: keyof ServeConfig, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const v = get(key)!;
    const n = Number(v);
    if (!INTEGER.test(v) || n < min || n > max)
      throw fail(
        key,
        `is '${v}', expected a whole number from ${min} to ${max}`,
        `Set ${SETTINGS[key].env}=${SETTINGS[key].default}.`,
      );
    return n;
  };
  const model = get('model');
  if (!model)
    throw fail('model', 'is not set', 'Set MODELSHIP_MODEL to the path of an .onnx file (or pass --model).');
  const name = urlPart('name', get('name') ?? basename(model).replace(/\.onnx$/i, ''), '');
  const version = urlPart('version', get('version')!, ', e.g. v2 or 2024-06-01');
  return {
    model,
    name,
    version,
    host: get('host')!,
    port: int('port', 0, 65535),
    device: oneOf('device', get('device')!, DEVICES),
    threads: int('threads', 0, 1024),
    maxQueue: int('maxQueue', 1),
    maxBodyBytes: int('maxBodyBytes', 1024),
    timeoutMs: int('timeoutMs', 1),
    bodyTimeoutMs: int('bodyTimeoutMs', 1),
    batchMaxRows: int('batchMaxRows', 0),
    batchWaitMs: int('batchWaitMs', 0, 1000),
    shutdownTimeoutMs: int('shutdownTimeoutMs', 0),
    logLevel: oneOf('logLevel', get('logLevel')!, LOG_LEVELS),
  };
}

const fail = (key: keyof ServeConfig, what: string, fix: string) =>
  new InputError(`${SETTINGS[key].env} ${what}`, { fix });

/** A name or version, which appears in URLs as it is. */
function urlPart(key: keyof ServeConfig, value: string, example: string): string {
  if (!URL_PART.test(value))
    throw fail(
      key,
      `is '${value}', which cannot be part of a URL`,
      `Use letters, digits, dot, dash and underscore${example}.`,
    );
  return value;
}

function oneOf<T extends string>(key: keyof ServeConfig, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw fail(key, `is '${value}'`, `Use ${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}.`);
  return value as T;
}
