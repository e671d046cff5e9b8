/**
 * The test node's certificates, made with openssl: one CA, the API server's and the kubelet's serving
 * certificates, one client certificate per identity, and the service-account key pair. Keys stay in
 * the node's own folder (mode 0600) and never appear on a command line.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const sh = promisify(execFile);

export interface Pki {
  dir: string;
  ca: string;
  caKey: string;
  apiserver: Pair;
  kubelet: Pair;
  /** Client certificates by identity (`admin` is in system:masters). */
  clients: Record<ClientName, Pair>;
  saKey: string;
  saPub: string;
}

export interface Pair {
  cert: string;
  key: string;
}

export type ClientName = 'admin' | 'kubelet' | 'kube-proxy' | 'controller-manager' | 'scheduler';

/** CN and O of each client: RBAC's built-in bindings grant each what its component needs. */
const SUBJECTS: Record<ClientName, string> = {
  admin: '/O=system:masters/CN=modelship-admin',
  kubelet: '/O=system:nodes/CN=system:node:NODE',
  'kube-proxy': '/CN=system:kube-proxy',
  'controller-manager': '/CN=system:kube-controller-manager',
  scheduler: '/CN=system:kube-scheduler',
};

/** A fresh P-256 key, unencrypted: small and fast to make, and every Kubernetes part reads it. */
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export async function makePki(dir: string, o: { nodeName: string; nodeIp: string; serviceIp: string }) {
  const ca = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  await openssl(
    'req',
    '-x509',
    ...NEW_KEY,
    '-keyout',
    caKey,
    '-out',
    ca,
    '-days',
    '2',
    '-subj',
    '/CN=modelship-test-kube-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  const sign = (name: string, subj: string, ext: string) => signed(dir, { ca, caKey }, name, subj, ext);
  const serverExt = (sans: string[]) =>
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans.join(',')}\n`;
  const apiserver = await sign(
    'apiserver',
    '/CN=kube-apiserver',
    serverExt([
      'IP:127.0.0.1',
      `IP:${o.nodeIp}`,
      `IP:${o.serviceIp}`,
      'DNS:localhost',
      'DNS:kubernetes',
      'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc',
      'DNS:kubernetes.default.svc.cluster.local',
    ]),
  );
  const kubelet = await sign(
    'kubelet',
    `/CN=${o.nodeName}`,
    serverExt([`IP:${o.nodeIp}`, 'IP:127.0.0.1', `DNS:${o.nodeName}`]),
  );
  const clientExt =
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';
  const clients = {} as Record<ClientName, Pair>;
  await Promise.all(
    (Object.entries(SUBJECTS) as [ClientName, string][]).map(async ([name, subj]) => {
      clients[name] = await sign(`client-${name}`, subj.replace('NODE', o.nodeName), clientExt);
    }),
  );
  const saKey = join(dir, 'sa.key');
  const saPub = join(dir, 'sa.pub');
  await openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', saKey);
  await openssl('pkey', '-in', saKey, '-pubout', '-out', saPub);
  await chmod(saKey, 0o600);
  return { dir, ca, caKey, apiserver, kubelet, clients, saKey, saPub } satisfies Pki;
}

async function signed(
  dir: string,
  by: { ca: string; caKey: string },
  name: string,
  subj: string,
  ext: string,
) {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const extFile = join(dir, `${name}.ext`);
  await writeFile(extFile, ext);
  await openssl('req', ...NEW_KEY, '-keyout', key, '-out', csr, '-subj', subj);
  await openssl(
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    by.ca,
    '-CAkey',
    by.caKey,
    '-set_serial',
    `0x${randomBytes(16).toString('hex')}`,
    '-out',
    cert,
    '-days',
    '2',
    '-extfile',
    extFile,
  );
  await chmod(key, 0o600);
  return { cert, key };
}

async function openssl(...args: string[]) {
  try {
    await sh('openssl', args);
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${err.stderr || err.message}`);
  }
}
