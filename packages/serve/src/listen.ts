/**
 * Opening the port. Whatever stops it (a port in use, a host that does not resolve, a port below
 * 1024 without the privilege) is the user's to fix: one line naming the setting, exit 2.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InputError } from '@modelship/core/errors.ts';
import { SETTINGS, type ServeConfig } from './config.ts';

/** Listens on the configured host and port; resolves with the port (the one picked, for port 0). */
export async function listen(server: Server, config: Pick<ServeConfig, 'host' | 'port'>): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((e: unknown) => {
    throw listenError(e as NodeJS.ErrnoException, config);
  });
  return (server.address() as AddressInfo).port;
}

const HOST = `${SETTINGS.host.env} (--${SETTINGS.host.flag})`;
const PORT = `${SETTINGS.port.env} (--${SETTINGS.port.flag})`;
const HOST_FIX = `Set ${HOST} to an address of this machine: 0.0.0.0 for every IPv4 interface, :: for IPv6 too, or 127.0.0.1`;

/** Every listen error as the setting to change; an unknown code still names both settings. */
export function listenError(
  e: NodeJS.ErrnoException,
  config: Pick<ServeConfig, 'host' | 'port'>,
): InputError {
  const { host, port } = config;
  const at = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const fail = (what: string, fix: string) => new InputError(what, { fix, cause: e });
  switch (e.code) {
    case 'EADDRINUSE':
      return fail(
        `${SETTINGS.port.env} is ${port}, which another process already listens on (${at})`,
        `Stop that process, or set ${PORT} to a free port (0 picks one).`,
      );
    case 'EACCES':
      return port > 0 && port < 1024
        ? fail(
            `${SETTINGS.port.env} is ${port}: ports below 1024 need root or CAP_NET_BIND_SERVICE, which this process lacks`,
            `Set ${PORT} to 1024 or above, e.g. 8080.`,
          )
        : fail(`this process may not listen on ${at} (${e.code})`, `Set ${PORT} to another port, e.g. 8080.`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return fail(`${SETTINGS.host.env} is '${host}', which does not resolve to an address`, `${HOST_FIX}.`);
    case 'EAFNOSUPPORT':
      return fail(`${SETTINGS.host.env} is '${host}', but this machine has no IPv6`, `${HOST_FIX}.`);
    case 'EADDRNOTAVAIL':
      return fail(
        `${SETTINGS.host.env} is '${host}', which is not an address of this machine`,
        `${HOST_FIX}.`,
      );
    default:
      return fail(`cannot listen on ${at}: ${e.message ?? String(e)}`, `Check ${HOST} and ${PORT}.`);
  }
}
