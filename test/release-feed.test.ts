import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { GITHUB_RELEASES, describeFeed, feedFor } from '../electron/core/updates/release-feed.js';
import { plainReason } from '../electron/core/updates/update-service.js';

describe('where the app looks for updates', () => {
  it('is the GitHub repository package.json names, as electron-builder.yml publishes to it', () => {
    const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { repository: { url: string } };
    const [, owner, repo] = /github\.com\/([^/]+)\/([^/.]+)(\.git)?$/.exec(manifest.repository.url) ?? [];
    expect(GITHUB_RELEASES).toEqual({ provider: 'github', owner, repo });
    const builder = parse(readFileSync('electron-builder.yml', 'utf8')) as { publish: unknown };
    expect(builder.publish).toEqual(GITHUB_RELEASES);
  });

  it.each([
    ['', GITHUB_RELEASES],
    ['   ', GITHUB_RELEASES],
    ['https://updates.example.com/rabbitmq-mcp/', { provider: 'generic', url: 'https://updates.example.com/rabbitmq-mcp/' }],
    [' http://127.0.0.1:8080/feed ', { provider: 'generic', url: 'http://127.0.0.1:8080/feed' }],
  ])('the setting %j means %j', (setting, feed) => {
    expect(feedFor(setting)).toEqual(feed);
  });

  it.each([
    [
      'updates.example.com',
      'The update feed "updates.example.com" is not a web address: use one starting with https:// (or leave it empty for GitHub releases).',
    ],
    ['ftp://mirror.example.com/', 'The update feed must be an http:// or https:// address, not ftp://: change it in Settings.'],
    ['file:///tmp/feed', 'The update feed must be an http:// or https:// address, not file://: change it in Settings.'],
    ['https://ops:secret@mirror.example.com/', 'The update feed address must not hold a user name or password: change it in Settings.'],
  ])('the setting %j is refused, saying what to change', (setting, message) => {
    expect(() => feedFor(setting)).toThrow(message);
  });

  it('is described in words for the window', () => {
    expect(describeFeed(GITHUB_RELEASES)).toBe('GitHub releases of rabbitmq-mcp/rabbitmq-mcp');
    expect(describeFeed(feedFor('https://mirror.example.com/app/'))).toBe('https://mirror.example.com/app/');
  });

  it.each([
    [
      Object.assign(new Error('sha512 checksum mismatch, expected a, got b'), { code: 'ERR_CHECKSUM_MISMATCH' }),
      'the file does not match the checksum (sha512) the feed published',
    ],
    [new Error('net::ERR_CONNECTION_REFUSED'), 'nothing answers at that address (connection refused)'],
    [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      'nothing answers at that address (connection refused)',
    ],
    [
      Object.assign(new Error('404 Not Found\n{"headers"…}'), { statusCode: 404 }),
      'the feed has no such file (HTTP 404): is the address the folder holding latest-*.yml?',
    ],
    [Object.assign(new Error('500 Internal\nbody'), { statusCode: 500 }), 'the feed answered HTTP 500'],
    [new Error('Request timed out'), 'the feed did not answer in time'],
    [
      Object.assign(
        new Error('Cannot find channel "latest-linux.yml" update info: HttpError: 404 \n"method: GET url: http://mirror/latest-linux.yml"'),
        {
          code: 'ERR_UPDATER_CHANNEL_FILE_NOT_FOUND',
        },
      ),
      'the feed has no latest-linux.yml (HTTP 404): is the address the folder that holds it?',
    ],
    [
      Object.assign(new Error('No published versions on GitHub'), { code: 'ERR_UPDATER_NO_PUBLISHED_VERSIONS' }),
      'no release is published there yet',
    ],
    [
      Object.assign(
        new Error(
          'Unable to find latest version on GitHub (https://github.com/o/r/releases/latest), please ensure a production release exists: Error: net::ERR_NAME_NOT_RESOLVED',
        ),
        {
          code: 'ERR_UPDATER_LATEST_VERSION_NOT_FOUND',
        },
      ),
      'that host name is not known',
    ],
    [new Error('first line\n    at stack (x.js:1:1)'), 'first line'],
  ])('an updater error reads as one plain sentence: %s', (error, reason) => {
    expect(plainReason(error)).toBe(reason);
  });
});
