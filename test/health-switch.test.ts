import { afterAll, describe, expect, it } from 'vitest';
import { HealthSampler } from '../electron/core/health/health-sampler.js';
import { managementEndpoint } from '../electron/core/profiles/profile-endpoints.js';
import type { HealthSample } from '../electron/shared/contract.js';
import { defaultProfileInput } from '../electron/shared/profile.js';
import { ManagementClient } from '../server/broker/management-client.js';
import { useTestVhost } from './support/broker-fixture.js';
import { BROKER } from './support/broker-env.js';

/** After a switch the health history is the new broker's alone, even for a sample under way at the switch. */
const vhost = useTestVhost('mcp-health-switch');
const management = new ManagementClient({
  endpoint: managementEndpoint(
    {
      ...defaultProfileInput('Health'),
      management: { host: BROKER.host, port: BROKER.httpPort, basePath: '', tls: { enabled: false, verify: true } },
      user: BROKER.user,
    },
    BROKER.password,
  ),
  timeoutMs: 5000,
});

afterAll(() => management.close());

describe('the health history across a switch', () => {
  it('drops a sample that was under way when the broker was switched, and numbers the new series', async () => {
    const sampler = new HealthSampler({ management: () => management, vhost: () => vhost.name, server: () => 'healthy' });
    const emitted: HealthSample[] = [];
    sampler.on('sample', (sample) => emitted.push(sample));
    const before = await sampler.sample();
    expect(before.broker?.vhost).toBe(vhost.name);
    expect(sampler.history()).toHaveLength(1);
    // Asked of the previous broker, answered after the switch.
    const underWay = sampler.sample();
    sampler.reset();
    await underWay;
    expect(sampler.history()).toEqual([]);
    expect(emitted).toEqual([before]);
    const after = await sampler.sample();
    expect(after.series).not.toBe(before.series);
    expect(sampler.history()).toEqual([after]);
  });

  it('takes no sample after stop(), even when one was under way at the stop (the app may be gone by then)', async () => {
    let asked = 0;
    const sampler = new HealthSampler({
      management: () => management,
      vhost: () => {
        asked++;
        return vhost.name;
      },
      server: () => 'healthy',
      intervalMs: 50,
    });
    const first = new Promise((resolve) => sampler.once('sample', resolve));
    sampler.start();
    // The first sample is asking the broker now; the app stops.
    sampler.stop();
    await first;
    const afterStop = asked;
    // Ten intervals later, nothing more was asked of what the stopped app held.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(asked).toBe(afterStop);
  });
});
