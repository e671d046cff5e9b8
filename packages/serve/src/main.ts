/**
 * `modelship serve` and the image's entrypoint: configuration from the environment (and flags),
 * the server, and the signals a container gets. SIGTERM drains in-flight requests and exits 0.
 */
import { ConfigurationError, EXIT, ISSUES_URL } from '@modelship/core/errors.ts';
import { parseFlags } from '@modelship/core/faces/argv.ts';
import { readConfig, SETTINGS } from './config.ts';
import { JsonLogger } from './logger.ts';
import { startServer } from './server.ts';

/** `--model m.onnx --port 8080` onto the MODELSHIP_* variables they stand for. */
function flagsToEnv(argv: string[], env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const settings = Object.values(SETTINGS);
  const { flags } = parseFlags(argv, {
    command: 'serve',
    flags: Object.fromEntries(settings.map((s) => [s.flag, 'value'])),
  });
  const out = { ...env };
  for (const s of settings) if (flags[s.flag] !== undefined) out[s.env] = flags[s.flag];
  return out;
}

export function serveHelp(): string {
  const rows = Object.values(SETTINGS).map(
    (s) =>
      `  --${s.flag.padEnd(20)} ${s.env.padEnd(30)} ${s.description}${s.default ? ` Default: ${s.default}.` : ''}`,
  );
  return [
    'Usage: modelship serve --model model.onnx [options]',
    '',
    'Serves an ONNX model over the Open Inference Protocol (KServe v2) with Prometheus metrics at /metrics.',
    'Every option can also be set by its environment variable.',
    '',
    ...rows,
    '',
  ].join('\n');
}

export async function serve(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(serveHelp());
    return EXIT.passed;
  }
  let log = new JsonLogger('info');
  try {
    const config = readConfig(flagsToEnv(argv, env));
    log = new JsonLogger(config.logLevel);
    const server = await startServer(config, log);
    const stop = (signal: string) => {
      log.log('info', 'signal', { signal });
      void server.close().then(() => process.exit(EXIT.passed));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    // A model that cannot load ends the process: a live server that can never be ready helps no one.
    await server.loaded.catch(async (e: unknown) => {
      await server.close();
      throw e;
    });
    return new Promise<number>(() => {}); // runs until a signal
  } catch (e) {
    if (e instanceof ConfigurationError) {
      log.log('error', e.render(), { kind: e.name });
      return EXIT.configuration;
    }
    log.log('error', `modelship serve failed unexpectedly; this is a bug. Please report it: ${ISSUES_URL}`, {
      stack: (e as Error).stack ?? String(e),
    });
    return EXIT.bug;
  }
}
