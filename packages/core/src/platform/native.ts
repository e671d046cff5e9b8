/**
 * Native packages (DuckDB now, onnxruntime-node next) ship tens of MB of binaries, so no
 * bundle carries them. In a checkout the workspace's own node_modules has them; on a runner
 * that only downloaded the action, the pinned version is installed once into the tool cache,
 * restored and saved with @actions/cache, and imported from there.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ConfigurationError } from '../errors.ts';
import type { Logger } from './port.ts';

interface NativePackage {
  name: string;
  version: string;
  /**
   * A flavour that needs files the plain package lacks (the CUDA execution provider, which
   * onnxruntime-node's install script downloads): the install-script setting that fetches
   * them, and a file whose presence proves a copy has them.
   */
  flavour?: { install: string; proof: string };
}

/** Kept equal to the versions in packages/core/package.json; a test holds them together. */
export const PINNED = {
  duckdb: { name: '@duckdb/node-api', version: '1.5.6-r.1' },
  onnxruntime: { name: 'onnxruntime-node', version: '1.30.0' },
  'onnxruntime-cuda': {
    name: 'onnxruntime-node',
    version: '1.30.0',
    flavour: {
      install: 'cuda12',
      proof: `bin/napi-v6/${process.platform}/${process.arch}/libonnxruntime_providers_cuda.so`,
    },
  },
} as const satisfies Record<string, NativePackage>;

export type NativeKey = keyof typeof PINNED;

const isMissing = (e: unknown, name: string) =>
  e instanceof Error &&
  (e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' &&
  e.message.includes(`'${name}'`);

export function toolCacheDir(key: NativeKey, env: NodeJS.ProcessEnv = process.env): string {
  const { name, version } = PINNED[key] as NativePackage;
  const flavour = (PINNED[key] as NativePackage).flavour?.install;
  const root =
    env.RUNNER_TOOL_CACHE || env.MODELSHIP_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'));
  return join(
    root,
    'modelship-native',
    name.replace('/', '+'),
    flavour ? `${version}-${flavour}` : version,
    `${process.platform}-${process.arch}`,
  );
}

export async function loadNative<T>(
  key: NativeKey,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<T> {
  const { name, flavour } = PINNED[key] as NativePackage;
  if (env.MODELSHIP_NATIVE_INSTALL !== 'always' && (!flavour || hasProof(name, flavour.proof))) {
    try {
      return (await import(name)) as T;
    } catch (e) {
      if (!isMissing(e, name)) throw e;
    }
  }
  const dir = await ensureInstalled(key, log, env);
  const entry = createRequire(join(dir, 'package.json')).resolve(name);
  return (await import(pathToFileURL(entry).href)) as T;
}

/** Whether the workspace's copy of a package carries the flavour's files. */
function hasProof(name: string, proof: string): boolean {
  let entry: string;
  try {
    entry = import.meta.resolve(name);
  } catch {
    return false;
  }
  return existsSync(join(packageRoot(fileURLToPath(entry)), proof));
}

/**
 * The directory of a native package's copy this process would load (the workspace's, or the tool
 * cache's after installing it): build-image copies onnxruntime-node from there into images.
 */
export async function nativePackageDir(
  key: NativeKey,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const { name, flavour } = PINNED[key] as NativePackage;
  if (env.MODELSHIP_NATIVE_INSTALL !== 'always' && (!flavour || hasProof(name, flavour.proof))) {
    try {
      return packageRoot(fileURLToPath(import.meta.resolve(name)));
    } catch {
      // not in the workspace: the tool cache has it
    }
  }
  const dir = await ensureInstalled(key, log, env);
  return join(dir, 'node_modules', name);
}

function packageRoot(file: string): string {
  let dir = dirname(file);
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

async function ensureInstalled(key: NativeKey, log: Logger, env: NodeJS.ProcessEnv): Promise<string> {
  const { name, version, flavour } = PINNED[key] as NativePackage;
  const dir = toolCacheDir(key, env);
  const marker = join(dir, '.modelship-complete');
  if (existsSync(marker)) return dir;

  const tag = flavour ? `${version}-${flavour.install}` : version;
  const cacheKey = `modelship-native-${name.replace(/[@/]/g, '_')}-${tag}-${process.platform}-${process.arch}`;
  const cache = await actionsCache(env);
  if (cache && (await cache.restoreCache([dir], cacheKey)) && existsSync(marker)) {
    log.info(`${name}@${version}: restored from the Actions cache`);
    return dir;
  }

  log.info(`${name}@${version}: installing into ${dir} (once per runner)`);
  const started = Date.now();
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  // npm 11 runs a dependency's install script only when allowed; the flavour needs it.
  const manifest = { private: true, ...(flavour && { allowScripts: { [name]: true } }) };
  await writeFile(join(dir, 'package.json'), `${JSON.stringify(manifest)}\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  try {
    await promisify(execFile)(
      npm,
      [
        'install',
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--omit=dev',
        '--prefix',
        dir,
        `${name}@${version}`,
      ],
      {
        env: { ...env, ONNXRUNTIME_NODE_INSTALL: flavour?.install ?? env.ONNXRUNTIME_NODE_INSTALL ?? 'skip' },
        maxBuffer: 16 << 20,
      },
    );
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    const detail = (e as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' ') ?? String(e);
    throw new ConfigurationError(`could not install ${name}@${version} with npm: ${detail}`, {
      fix: 'The runner needs npm and access to the npm registry (or a mirror set in .npmrc) the first time.',
    });
  }
  if (flavour && !existsSync(join(dir, 'node_modules', name, flavour.proof))) {
    await rm(dir, { recursive: true, force: true });
    throw new ConfigurationError(`${name}@${version} installed without ${flavour.proof}`, {
      fix: `Its install script downloads these files (${flavour.install}); the runner needs internet access to GitHub and NuGet the first time.`,
    });
  }
  await writeFile(marker, `${new Date().toISOString()}\n`);
  log.info(`${name}@${version}: installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (cache) {
    try {
      await cache.saveCache([dir], cacheKey);
    } catch (e) {
      log.warn(`could not save ${name} to the Actions cache: ${(e as Error).message}`);
    }
  }
  return dir;
}

type ActionsCache = typeof import('@actions/cache');

/** The Actions cache service only exists inside a GitHub job. */
async function actionsCache(env: NodeJS.ProcessEnv): Promise<ActionsCache | undefined> {
  if (env.GITHUB_ACTIONS !== 'true' || !env.ACTIONS_RUNTIME_TOKEN) return undefined;
  const cache = await import('@actions/cache');
  return cache.isFeatureAvailable() ? cache : undefined;
}
