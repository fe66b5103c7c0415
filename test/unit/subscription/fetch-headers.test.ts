import { describe, expect, it } from 'vitest';
import { readDispositionName, readProfileTitle, readSubscriptionInfo, readUserinfo } from '../../../core/subscription/fetch-headers.js';

describe('subscription response headers', () => {
  it('reads Subscription-Userinfo, tolerating spacing, case, floats and junk', () => {
    expect(readUserinfo('upload=455727941; download=6174315083; total=1073741824000; expire=1671815872')).toEqual({
      upload: 455727941,
      download: 6174315083,
      total: 1073741824000,
      expire: 1671815872,
    });
    expect(readUserinfo('Upload=1.5e3;download=  2 ;total=; expire=0; foo=bar; broken')).toEqual({ upload: 1500, download: 2 });
    expect(readUserinfo('upload=-5; download=abc')).toEqual({});
    expect(readUserinfo(undefined)).toEqual({});
  });

  it('reads Profile-Title plain, base64: prefixed, and UTF-8 bytes Node handed over as latin1', () => {
    expect(readProfileTitle('My Cloud')).toBe('My Cloud');
    expect(readProfileTitle(`base64:${Buffer.from('香港 Cloud').toString('base64')}`)).toBe('香港 Cloud');
    expect(readProfileTitle(Buffer.from('日本 Node').toString('latin1'))).toBe('日本 Node');
    expect(readProfileTitle('base64:!!!')).toBeUndefined();
  });

  it('reads the Content-Disposition file name, filename* first, without its extension', () => {
    expect(readDispositionName(`attachment; filename*=UTF-8''%E6%9C%BA%E5%9C%BA.yaml`)).toBe('机场');
    expect(readDispositionName('attachment; filename="My \\"Sub\\".yml"')).toBe('My "Sub"');
    expect(readDispositionName('attachment; filename=plain.txt')).toBe('plain');
    expect(readDispositionName('inline')).toBeUndefined();
  });

  it('prefers Profile-Title to the file name, and reads profile-update-interval in hours', () => {
    expect(readSubscriptionInfo({ 'profile-title': 'Title', 'content-disposition': 'attachment; filename=file.yaml', 'profile-update-interval': '24' })).toEqual({ title: 'Title', updateIntervalH: 24 });
    expect(readSubscriptionInfo({ 'content-disposition': 'attachment; filename=file.yaml', 'profile-update-interval': 'soon' })).toEqual({ title: 'file' });
  });
});
