/**
 * How the entry starts the app: RABBITMQ_MCP_LAUNCH (a JSON array, set in AppImage configs), else
 * the app's own binary in the background (--hidden); null outside Electron with no such setting.
 */
export function launchCommand(env: NodeJS.ProcessEnv, execPath: string, inElectron: boolean): string[] | null {
  if (env.RABBITMQ_MCP_LAUNCH) return JSON.parse(env.RABBITMQ_MCP_LAUNCH) as string[];
  if (!inElectron) return null;
  // Inside an AppImage the binary lives on a mount that goes away with this process: start the
  // AppImage file itself. APPIMAGE counts only when this binary is inside its APPDIR (another
  // AppImage, say the AI client's own, would leave its APPIMAGE in our environment).
  const { APPIMAGE, APPDIR } = env;
  if (APPIMAGE && APPDIR && execPath.startsWith(`${APPDIR}/`)) return [APPIMAGE, '--hidden'];
  return [execPath, '--hidden'];
}
