/**
 * Where the app looks for updates. By default the project's GitHub releases (electron-builder.yml
 * publishes there, from package.json's repository); the Settings page may name a generic feed
 * instead: any HTTP(S) folder holding latest.yml / latest-mac.yml / latest-linux.yml and the files
 * they list, e.g. a company mirror.
 */
export const GITHUB_RELEASES = { provider: 'github', owner: 'rabbitmq-mcp', repo: 'rabbitmq-mcp' } as const;

export type FeedOptions = typeof GITHUB_RELEASES | { provider: 'generic'; url: string };

/** The feed for a setting: '' (or only spaces) means GitHub releases; otherwise an http(s) URL. */
export function feedFor(setting: string): FeedOptions {
  const text = setting.trim();
  if (text === '') return GITHUB_RELEASES;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(
      `The update feed "${text}" is not a web address: use one starting with https:// (or leave it empty for GitHub releases).`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`The update feed must be an http:// or https:// address, not ${url.protocol}//: change it in Settings.`);
  if (url.username || url.password)
    throw new Error('The update feed address must not hold a user name or password: change it in Settings.');
  return { provider: 'generic', url: url.href };
}

/** The feed in words, for the window and the log (never credentials: feedFor refuses them). */
export function describeFeed(feed: FeedOptions): string {
  return feed.provider === 'github' ? `GitHub releases of ${feed.owner}/${feed.repo}` : feed.url;
}
