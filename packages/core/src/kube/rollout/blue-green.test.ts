import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inSlot, SLOT_LABEL, serviceFor } from './blue-green.ts';

const deployment = {
  metadata: { name: 'iris', namespace: 'm' },
  spec: {
    selector: { matchLabels: { 'app.kubernetes.io/name': 'iris' } },
    template: { metadata: { labels: { 'app.kubernetes.io/name': 'iris' } }, spec: { containers: [] } },
  },
};

describe('blue-green objects', () => {
  it("puts a slot's Deployment apart: its own name, the slot in its selector and pod labels", () => {
    const green = inSlot(deployment, 'green');
    assert.equal(green.metadata?.name, 'iris-green');
    assert.deepEqual(green.spec.selector.matchLabels, {
      'app.kubernetes.io/name': 'iris',
      [SLOT_LABEL]: 'green',
    });
    assert.equal(green.spec.template.metadata.labels[SLOT_LABEL], 'green');
    assert.equal(deployment.metadata.name, 'iris', 'the original is untouched');
  });

  it('gives the preview Service the slot, and leaves a fixed node port to the app Service', () => {
    const service = {
      metadata: { name: 'iris' },
      spec: { selector: { a: 'b' }, ports: [{ port: 80, nodePort: 30080 }] },
    };
    const preview = serviceFor(service, 'blue', 'iris-preview');
    assert.deepEqual(preview.spec.selector, { a: 'b', [SLOT_LABEL]: 'blue' });
    assert.deepEqual(preview.spec.ports, [{ port: 80 }]);
    assert.deepEqual(serviceFor(service, 'blue', 'iris').spec.ports, [{ port: 80, nodePort: 30080 }]);
  });
});
