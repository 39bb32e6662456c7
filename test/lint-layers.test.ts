import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import layers from '../scripts/eslint-layers.mjs';

/** The layer rule alone (no type information needed), on source as if it stood at `path`. */
async function problems(path: string, source: string): Promise<string[]> {
  const eslint = new ESLint({
    cwd: process.cwd(),
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts', '**/*.tsx'],
        languageOptions: { parser: (await import('typescript-eslint')).parser },
        plugins: { layers },
        rules: { 'layers/imports-go-down': 'error' },
      },
    ],
  });
  const [result] = await eslint.lintText(source, { filePath: path });
  return (result?.messages ?? []).map((message) => message.message);
}

describe('the layer rule', () => {
  it('refuses an import from a higher layer, naming both layers and what is allowed', async () => {
    const found = await problems('server/config/new-setting.ts', "import { TOOLS } from '../tools/registry.js';\n");
    expect(found).toHaveLength(1);
    expect(found[0]).toContain("server/config may not import from server/tools ('../tools/registry.js')");
    expect(found[0]).toContain('nothing outside itself');
  });

  it('lets a layer import from below it and from itself', async () => {
    const source = "import { settings } from '../config/settings.js';\nimport { scope } from './scope.js';\n";
    expect(await problems('server/broker/new-client.ts', source)).toEqual([]);
  });

  it('keeps the app core off the tools, and the renderer off everything but electron/shared', async () => {
    expect(await problems('electron/core/health/x.ts', "import { alarms } from '../../../server/tools/health.js';\n")).toHaveLength(1);
    expect(await problems('electron/core/health/x.ts', "import { alarms } from '../../../server/broker/alarms.js';\n")).toEqual([]);
    expect(await problems('renderer/src/pages/X.tsx', "import { host } from '../../../electron/core/host.js';\n")).toHaveLength(1);
    expect(await problems('renderer/src/pages/X.tsx', "import type { AppApi } from '../../../electron/shared/contract';\n")).toEqual([]);
  });

  it('sees re-exports and dynamic imports too', async () => {
    expect(await problems('server/broker/x.ts', "export { createServer } from '../mcp/create-server.js';\n")).toHaveLength(1);
    expect(await problems('server/tools/x.ts', "const http = await import('../transports/http/serve-http.js');\n")).toHaveLength(1);
  });

  it('leaves tests and scripts free to import anything', async () => {
    expect(await problems('test/x.test.ts', "import { serveHttp } from '../server/transports/http/serve-http.js';\n")).toEqual([]);
  });
});
