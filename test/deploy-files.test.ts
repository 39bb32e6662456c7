import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { RSS_BUDGET_MB } from '../bench/budgets.js';
import { settings } from '../server/config/settings.js';

const knownVariables = new Set(Object.values(settings).map((setting) => setting.env));

function manifest(file: string): Record<string, any> {
  return parse(readFileSync(`deploy/kubernetes/${file}`, 'utf8'));
}

describe('deployment files', () => {
  it('names the image with a registry the operator replaces', () => {
    const container = manifest('deployment.yaml').spec.template.spec.containers[0];
    expect(container.image).toMatch(/^registry\.example\.com\/rabbitmq-mcp-server:\d+\.\d+\.\d+$/);
  });

  it('the Kubernetes Deployment probes /mcp/health on the port the server listens on, with settings that exist', () => {
    const deployment = manifest('deployment.yaml');
    const container = deployment.spec.template.spec.containers[0];
    const env = Object.fromEntries(container.env.map((entry: { name: string; value: string }) => [entry.name, entry.value]));
    for (const name of Object.keys(env)) expect(knownVariables.has(name), `${name} is not a setting`).toBe(true);
    expect(container.ports[0].containerPort).toBe(Number(env.MCP_HTTP_PORT));
    expect(container.readinessProbe.httpGet.path).toBe('/mcp/health');
    expect(container.readinessProbe.timeoutSeconds).toBe(2);
    expect(container.livenessProbe.httpGet.path).toBe('/mcp/health?probe=liveness');
    expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    // Drain (8 s) plus preStop (5 s) fit in the grace period.
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(15);
    const secret = manifest('secret.example.yaml');
    for (const name of Object.keys(secret.stringData)) expect(knownVariables.has(name)).toBe(true);
  });

  it("the HPA scales on the seed's thresholds and the Service selects the Deployment's pods", () => {
    const hpa = manifest('hpa.yaml');
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([2, 10]);
    expect(hpa.spec.metrics.map((metric: any) => [metric.resource.name, metric.resource.target.averageUtilization])).toEqual([
      ['cpu', 70],
      ['memory', 75],
    ]);
    // The memory target sits above the peak RSS the benchmark allows under 32 clients.
    const request = manifest('deployment.yaml').spec.template.spec.containers[0].resources.requests.memory as string;
    const targetMiB = (Number(/^(\d+)Mi$/.exec(request)?.[1]) * 75) / 100;
    expect(targetMiB * 1024 * 1024).toBeGreaterThan(RSS_BUDGET_MB * 1e6);
    const service = manifest('service.yaml');
    expect(service.spec.selector).toEqual(manifest('deployment.yaml').spec.selector.matchLabels);
    for (const file of ['deployment.yaml', 'service.yaml', 'hpa.yaml', 'secret.example.yaml']) {
      expect(parseAllDocuments(readFileSync(`deploy/kubernetes/${file}`, 'utf8')).every((doc) => doc.errors.length === 0)).toBe(true);
    }
  });
});
