import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { ConfigurationError } from '@modelship/core/errors.ts';
import { listen, listenError } from './listen.ts';

const errno = (code: string, message = `listen ${code}`) => Object.assign(new Error(message), { code });

describe('listen errors', () => {
  it('names the setting and the fix for every way listening fails', () => {
    const at = { host: '127.0.0.1', port: 80 };
    const cases: [string, { host: string; port: number }, RegExp][] = [
      [
        'EACCES',
        at,
        /^MODELSHIP_PORT is 80: ports below 1024 need root or CAP_NET_BIND_SERVICE, which this process lacks\. Set MODELSHIP_PORT \(--port\) to 1024 or above, e\.g\. 8080\.$/,
      ],
      [
        'EACCES',
        { ...at, port: 8080 },
        /^this process may not listen on 127\.0\.0\.1:8080 \(EACCES\)\. Set MODELSHIP_PORT/,
      ],
      [
        'EADDRINUSE',
        at,
        /^MODELSHIP_PORT is 80, which another process already listens on \(127\.0\.0\.1:80\)\./,
      ],
      [
        'ENOTFOUND',
        { host: 'api.internal', port: 8080 },
        /^MODELSHIP_HOST is 'api\.internal', which does not resolve/,
      ],
      [
        'EAI_AGAIN',
        { host: 'api.internal', port: 8080 },
        /^MODELSHIP_HOST is 'api\.internal', which does not resolve/,
      ],
      [
        'EADDRNOTAVAIL',
        { host: '10.9.9.9', port: 8080 },
        /^MODELSHIP_HOST is '10\.9\.9\.9', which is not an address of this machine\. Set MODELSHIP_HOST \(--host\)/,
      ],
      ['EAFNOSUPPORT', { host: '::1', port: 8080 }, /^MODELSHIP_HOST is '::1', but this machine has no IPv6/],
      [
        'EMFILE',
        { host: '::', port: 8080 },
        /^cannot listen on \[::\]:8080: listen EMFILE\. Check MODELSHIP_HOST \(--host\) and MODELSHIP_PORT \(--port\)\.$/,
      ],
    ];
    for (const [code, config, message] of cases) {
      const e = listenError(errno(code), config);
      assert.ok(e instanceof ConfigurationError, code);
      assert.match(e.render(), message, code);
      assert.doesNotMatch(e.render(), /\n/, `${code}: one line`);
    }
  });

  it('turns a real port in use into that error', async (t) => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    t.after(() => taken.close());
    const port = (taken.address() as AddressInfo).port;
    const second = createServer();
    await assert.rejects(listen(second, { host: '127.0.0.1', port }), (e: ConfigurationError) => {
      assert.match(
        e.render(),
        new RegExp(`^MODELSHIP_PORT is ${port}, which another process already listens on`),
      );
      return true;
    });
    assert.equal(second.listening, false);
  });
});
