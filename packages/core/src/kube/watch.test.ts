import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WatchEvent } from './client.ts';
import { KubeError } from './errors.ts';
import type { KubeObject, ObjectList } from './types.ts';
import { Informer, type WatchSource } from './watch.ts';

const obj = (name: string, rv: string, data = ''): KubeObject => ({
  metadata: { name, resourceVersion: rv },
  data,
});

/** A scripted server: each list answers the next list; each watch plays the next script. */
function scripted(
  lists: ObjectList[],
  watches: ((from: string, emit: (e: WatchEvent) => void) => Promise<void>)[],
) {
  const seen: string[] = [];
  const source: WatchSource<KubeObject> = {
    list: async () => {
      seen.push('list');
      return lists.shift()!;
    },
    watch: async (from, emit, signal, onOpen) => {
      seen.push(`watch@${from}`);
      const next = watches.shift();
      if (next) return next(from, emit);
      // Out of script: a watch that opens and stays quiet until the run ends.
      onOpen();
      return new Promise((r) => signal.addEventListener('abort', () => r(), { once: true }));
    },
  };
  return { source, seen };
}

async function runUntil(informer: Informer<KubeObject>, done: () => boolean) {
  const stop = new AbortController();
  const running = informer.run(stop.signal);
  while (!done()) await new Promise((r) => setTimeout(r, 5));
  stop.abort();
  await running;
}

describe('Informer', () => {
  it('resumes from the last version seen when the server ends a watch, without listing again', async () => {
    const { source, seen } = scripted(
      [{ items: [obj('a', '1')], metadata: { resourceVersion: '10' } }],
      [
        async (_f, emit) => emit({ type: 'MODIFIED', object: obj('a', '11', 'x') }),
        async (_f, emit) => emit({ type: 'BOOKMARK', object: obj('', '15') }),
        async (_f, emit) => emit({ type: 'ADDED', object: obj('b', '16') }),
      ],
    );
    const informer = new Informer(source, () => {});
    await runUntil(informer, () => informer.items().length === 2);
    assert.deepEqual(seen.slice(0, 4), ['list', 'watch@10', 'watch@11', 'watch@15']);
    assert.equal(informer.items().find((o) => o.metadata?.name === 'a')?.data, 'x');
  });

  it('lists again when the server says the version is gone (410), as an event or as the answer', async () => {
    const { source, seen } = scripted(
      [
        { items: [obj('a', '1')], metadata: { resourceVersion: '10' } },
        { items: [obj('b', '30')], metadata: { resourceVersion: '30' } },
        { items: [obj('c', '40')], metadata: { resourceVersion: '40' } },
      ],
      [
        async (_f, emit) => emit({ type: 'ERROR', object: { code: 410 } as KubeObject }),
        async () => {
          throw new KubeError('gone', 410);
        },
      ],
    );
    const informer = new Informer(source, () => {});
    await runUntil(informer, () => informer.items()[0]?.metadata?.name === 'c');
    assert.deepEqual(seen.slice(0, 5), ['list', 'watch@10', 'list', 'watch@30', 'list']);
    assert.equal(informer.lists, 3);
  });

  it('rides out an unreachable server (transient) and reports the outage meanwhile; a forbidden watch ends the run', async () => {
    let outageSeen = false;
    const { source } = scripted(
      [{ items: [], metadata: { resourceVersion: '5' } }],
      [
        async () => {
          throw new KubeError('cannot reach', 0, undefined, true);
        },
        async (_f, emit) => emit({ type: 'ADDED', object: obj('a', '6') }),
      ],
    );
    const informer: Informer<KubeObject> = new Informer(source, () => {
      if (informer.outage) outageSeen = true;
    });
    await runUntil(informer, () => informer.items().length === 1);
    assert.equal(outageSeen, true);
    assert.equal(informer.outage, undefined, 'the outage clears once the server answers');

    const quiet = scripted(
      [{ items: [], metadata: { resourceVersion: '5' } }],
      [
        async () => {
          throw new KubeError('cannot reach', 0, undefined, true);
        },
      ],
    );
    const said: (string | undefined)[] = [];
    const back: Informer<KubeObject> = new Informer(quiet.source, () => said.push(back.outage?.message));
    await runUntil(back, () => said.length === 3);
    assert.deepEqual(
      said,
      [undefined, 'cannot reach', undefined],
      'the outage clears as a watch opens again, before any event comes',
    );

    const forbidden = scripted(
      [{ items: [], metadata: { resourceVersion: '1' } }],
      [
        async () => {
          throw new KubeError('forbidden', 403);
        },
      ],
    );
    await assert.rejects(
      new Informer(forbidden.source, () => {}).run(new AbortController().signal),
      /forbidden/,
    );
  });
});
