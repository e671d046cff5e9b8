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

/** Where modelship keeps what outlives a run on this runner: the tool cache in CI, ~/.cache elsewhere. */
export const cacheRoot = (env: NodeJS.ProcessEnv = process.env) =>
  env.RUNNER_TOOL_CACHE || env.MODELSHIP_CACHE_DIR || env.XDG_CACHE_HOME || join(homedir(), '.cache');

export function toolCacheDir(key: NativeKey, env: NodeJS.ProcessEnv = process.env): string {
  const { name, version } = PINNED[key] as NativePackage;
  const flavour = (PINNED[key] as NativePackage).flavour?.install;
  return join(
    cacheRoot(env),
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
  return (await import(pathToFileURL(await locate(key, log, env)).href)) as T;
}

/**
 * The directory of the copy of a native package this process loads: build-image copies
 * onnxruntime-node from there into images.
 */
export async function nativePackageDir(
  key: NativeKey,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  return packageRoot(await locate(key, log, env));
}

/**
 * The entry file of the copy to load: the workspace's when it resolves (and has the flavour's
 * files), otherwise the tool cache's, installed there once.
 */
async function locate(key: NativeKey, log: Logger, env: NodeJS.ProcessEnv): Promise<string> {
  const { name, flavour } = PINNED[key] as NativePackage;
  if (env.MODELSHIP_NATIVE_INSTALL !== 'always') {
    const entry = workspaceEntry(name);
    if (entry && (!flavour || existsSync(join(packageRoot(entry), flavour.proof)))) return entry;
  }
  const dir = await ensureInstalled(key, log, env);
  return createRequire(join(dir, 'package.json')).resolve(name);
}

function workspaceEntry(name: string): string | undefined {
  try {
    return fileURLToPath(import.meta.resolve(name));
  } catch {
    return undefined;
  }
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
