/**
 * The window's security settings in one place: no Node in the page, the preload isolated and
 * sandboxed, and a Content-Security-Policy that allows only the app's own scripts.
 */
export function webPreferences(preload: string) {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    spellcheck: false,
  } as const;
}

/** Styles may be inline (the component library sets CSS variables on elements); scripts may not. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Whether a page may call the API: the app's own bundled page only. */
export function isAppPage(url: string, appIndexUrl: string): boolean {
  try {
    const page = new URL(url);
    const app = new URL(appIndexUrl);
    return page.protocol === app.protocol && page.host === app.host && page.pathname === app.pathname;
  } catch {
    return false;
  }
}
