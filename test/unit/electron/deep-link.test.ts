import { describe, expect, it } from 'vitest';
import { describeUrl, findDeepLink, importTargetFromText, parseDeepLink } from '../../../electron/deep-link.js';
import { DesktopError } from '../../../electron/errors.js';

const SUB = 'https://provider.example/api/v1/client/subscribe?token=s3cr3t&flag=clash';

function failure(fn: () => unknown): DesktopError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DesktopError);
    return err as DesktopError;
  }
  throw new Error('expected a DesktopError');
}

describe('parseDeepLink', () => {
  it('reads switchyard:// and clash:// install-config links with an encoded url and a name', () => {
    expect(parseDeepLink(`switchyard://install-config?url=${encodeURIComponent(SUB)}&name=My%20VPN`)).toEqual({ scheme: 'switchyard', url: SUB, name: 'My VPN' });
    expect(parseDeepLink(`clash://install-config?url=${encodeURIComponent(SUB)}`)).toEqual({ scheme: 'clash', url: SUB });
  });

  it('takes the trailing-slash spelling and a scheme in capitals', () => {
    expect(parseDeepLink(`CLASH://install-config/?url=${encodeURIComponent(SUB)}`).url).toBe(SUB);
  });

  it('refuses other schemes, actions, missing and non-http urls, by code and without repeating the URL', () => {
    const cases = [
      ['https://install-config?url=x', 'expected a switchyard:// or clash:// link, got https://'],
      ['clash://open?url=https%3A%2F%2Fa.example', 'unknown action "open"'],
      ['clash://install-config', 'install-config has no url parameter'],
      [`clash://install-config?url=${encodeURIComponent('file:///etc/passwd?token=s3cr3t')}`, 'the url parameter is not an http(s) URL'],
      ['not a link', 'not a URL'],
    ];
    for (const [link, why] of cases) {
      const err = failure(() => parseDeepLink(link!));
      expect(err.code).toBe('DEEP_LINK_INVALID');
      expect(err.message).toContain(why);
      expect(err.message).not.toContain('s3cr3t');
    }
  });
});

describe('findDeepLink', () => {
  it('finds the link among a second instance argv (Windows and Linux put it there)', () => {
    const link = `switchyard://install-config?url=${encodeURIComponent(SUB)}`;
    expect(findDeepLink(['/opt/Switchyard/switchyard', '--hidden', link])).toBe(link);
    expect(findDeepLink(['/opt/Switchyard/switchyard', '--hidden'])).toBeUndefined();
  });
});

describe('importTargetFromText (import from clipboard)', () => {
  it('takes a plain subscription URL or an install-config link', () => {
    expect(importTargetFromText(`  ${SUB}\n`)).toEqual({ scheme: 'switchyard', url: SUB });
    expect(importTargetFromText(`clash://install-config?url=${encodeURIComponent(SUB)}&name=x`)).toEqual({ scheme: 'clash', url: SUB, name: 'x' });
  });

  it('says what it found instead when that is no subscription', () => {
    expect(failure(() => importTargetFromText('   ')).code).toBe('CLIPBOARD_EMPTY');
    const share = failure(() => importTargetFromText('ss://YWVzLTEyOC1nY206cGFzcw@1.2.3.4:8388#jp'));
    expect(share.message).toBe('the clipboard holds a ss:// link, not a subscription URL or install-config link');
    expect(failure(() => importTargetFromText('hello world')).message).toContain('holds text');
  });
});

describe('describeUrl', () => {
  it('keeps scheme and host, never the path or query that carry tokens', () => {
    expect(describeUrl(SUB)).toBe('https://provider.example/…');
  });
});
