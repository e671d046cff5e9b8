/**
 * A recorded-shape npm registry on 127.0.0.1 serving one package from a tarball `npm pack` made:
 * its packument (as registry.npmjs.org answers `GET /@scope%2fname`, with `dist.tarball`,
 * `integrity` and `shasum`) and the tarball itself. Point only the package's scope at it
 * (`npm_config_@scope:registry`), so npm still takes everything else from the real registry.
 *
 *   const reg = await startNpmRegistry(t, await packCli());
 *   env[`npm_config_${reg.scope}:registry`] = reg.url;
 *   reg.requests   // what npm asked for, e.g. ['/@modelship%2fcli', '/@modelship/cli/-/cli-0.1.0.tgz']
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { run } from './run.ts';

export interface NpmRegistry {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  /** `@modelship` */
  scope: string;
  name: string;
  version: string;
  requests: string[];
}

type Hooks = { after: (fn: () => unknown) => void };

export async function startNpmRegistry(t: Hooks, tarball: string): Promise<NpmRegistry> {
  const bytes = await readFile(tarball);
  const read = await run('tar', ['-xzOf', tarball, 'package/package.json']);
  if (read.code !== 0) throw new Error(`no package/package.json in ${tarball}: ${read.stderr}`);
  const manifest = JSON.parse(read.stdout) as { name: string; version: string };
  const { name, version } = manifest;
  const scope = name.split('/')[0]!;
  const file = `/${name}/-/${name.split('/')[1]}-${version}.tgz`;
  const requests: string[] = [];

  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push(path);
    if (decodeURIComponent(path) === `/${name}`) {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const dist = {
        tarball: `${url}${file}`,
        shasum: createHash('sha1').update(bytes).digest('hex'),
        integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
      };
      const packument = {
        _id: name,
        name,
        'dist-tags': { latest: version },
        versions: { [version]: { ...manifest, _id: `${name}@${version}`, dist } },
        time: { [version]: new Date(0).toISOString() },
      };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument));
    } else if (path === file) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(bytes);
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, scope, name, version, requests };
}
