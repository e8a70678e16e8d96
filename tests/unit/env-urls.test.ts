import { describe, expect, it } from 'vitest';
import { ConfigError, readEnv } from '../../src/config/env.js';

const read = (vars: Record<string, string>) => readEnv({ HERALD_SECRET: 'k', ...vars }, { generateSecret: false });

describe('HERALD_PUBLIC_URL and HERALD_APP_URL', () => {
  it('the app URL defaults to the public URL, which defaults to localhost:PORT', () => {
    expect(read({})).toMatchObject({ publicUrl: 'http://localhost:3000', appUrl: 'http://localhost:3000' });
    expect(read({ HERALD_PUBLIC_URL: 'https://status.example.com/' })).toMatchObject({
      publicUrl: 'https://status.example.com',
      appUrl: 'https://status.example.com',
    });
  });

  it('each is its own, trailing slashes dropped, paths kept', () => {
    expect(
      read({ HERALD_PUBLIC_URL: 'https://cdn.example.com/status/', HERALD_APP_URL: 'https://herald.example.com//' }),
    ).toMatchObject({ publicUrl: 'https://cdn.example.com/status', appUrl: 'https://herald.example.com' });
  });

  it.each([
    ['HERALD_APP_URL', 'herald.example.com', /HERALD_APP_URL 'herald.example.com' is not an http\(s\) URL/],
    [
      'HERALD_APP_URL',
      'ftp://herald.example.com',
      /HERALD_APP_URL .* is not an http\(s\) URL; set it to Herald's own address/,
    ],
    ['HERALD_APP_URL', 'https://herald.example.com/?x=1', /HERALD_APP_URL .* must be a plain base URL/],
    ['HERALD_PUBLIC_URL', 'https://u:p@status.example.com', /HERALD_PUBLIC_URL .* must be a plain base URL/],
    [
      'HERALD_PUBLIC_URL',
      'not a url',
      /HERALD_PUBLIC_URL 'not a url' is not an http\(s\) URL; set it to the status page's address/,
    ],
  ])('%s=%s is refused with a message naming it', (name, value, message) => {
    expect(() => read({ [name]: value })).toThrow(ConfigError);
    expect(() => read({ [name]: value })).toThrow(message);
  });
});
