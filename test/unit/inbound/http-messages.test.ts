import { describe, expect, it } from 'vitest';
import {
  forwardedRequestHeaders,
  forwardedResponseHeaders,
  parseAbsoluteHttpUrl,
  parseAuthority,
  rawErrorResponse,
  requestHeadSize,
} from '../../../core/inbound/http-messages.js';

describe('parseAuthority', () => {
  it.each([
    ['example.com:443', undefined, { host: 'example.com', port: 443 }],
    ['[::1]:8080', undefined, { host: '::1', port: 8080 }],
    ['[2001:db8::1]', 80, { host: '2001:db8::1', port: 80 }],
    ['example.com', 80, { host: 'example.com', port: 80 }],
    ['user:pw@example.com:81', 80, { host: 'example.com', port: 81 }],
    ['10.0.0.1:65535', undefined, { host: '10.0.0.1', port: 65535 }],
  ])('%s → %o', (authority, defaultPort, expected) => {
    expect(parseAuthority(authority, defaultPort)).toEqual(expected);
  });

  it.each(['example.com', 'example.com:', 'example.com:0', 'example.com:65536', 'example.com:8o', ':443', '[::1', '[nope]:80', '[::1]x80', '::1:443', 'a:1:2'])(
    'rejects %s as a CONNECT target',
    (authority) => {
      expect(parseAuthority(authority)).toBeUndefined();
    },
  );
});

describe('parseAbsoluteHttpUrl', () => {
  it('keeps the path and query verbatim', () => {
    expect(parseAbsoluteHttpUrl('http://Example.com:8080/a/../b?x=%2F&y')).toEqual({ host: 'Example.com', port: 8080, path: '/a/../b?x=%2F&y', authority: 'Example.com:8080' });
  });

  it('fills in the defaults', () => {
    expect(parseAbsoluteHttpUrl('http://example.com')).toMatchObject({ port: 80, path: '/' });
    expect(parseAbsoluteHttpUrl('HTTP://example.com?q')).toMatchObject({ host: 'example.com', path: '/?q' });
    expect(parseAbsoluteHttpUrl('http://[::1]:81/x#frag')).toMatchObject({ host: '::1', port: 81, path: '/x', authority: '[::1]:81' });
    expect(parseAbsoluteHttpUrl('http://u:p@a.test/')).toMatchObject({ host: 'a.test', port: 80, authority: 'a.test' });
  });

  it.each(['/', '/index.html', 'https://example.com/', 'http:/x', 'http://', 'http://:80/', 'ftp://x/'])('rejects %s', (url) => {
    expect(parseAbsoluteHttpUrl(url)).toBeUndefined();
  });
});

describe('hop-by-hop headers', () => {
  it('drops proxy and Connection-listed fields from requests, keeps order and case', () => {
    const raw = ['Host', 'a.test', 'Proxy-Connection', 'keep-alive', 'Connection', 'X-Foo, Keep-Alive', 'X-Foo', '1', 'Keep-Alive', '5',
      'Proxy-Authorization', 'Basic eDp5', 'TE', 'trailers', 'Trailer', 'X', 'Upgrade', 'h2c', 'Expect', '100-continue', 'Transfer-Encoding', 'chunked', 'Accept', '*/*'];
    expect(forwardedRequestHeaders(raw, 'a.test')).toEqual(['Host', 'a.test', 'Transfer-Encoding', 'chunked', 'Accept', '*/*']);
  });

  it('sends the request target as Host (added when missing, replacing what the client sent)', () => {
    expect(forwardedRequestHeaders(['Accept', '*/*'], '[::1]:81')).toEqual(['Accept', '*/*', 'Host', '[::1]:81']);
    expect(forwardedRequestHeaders(['host', 'evil.test', 'Accept', '*/*', 'Host', 'twice.test'], 'a.test:8080')).toEqual(['host', 'a.test:8080', 'Accept', '*/*']);
  });

  it('drops hop-by-hop fields and the framing from responses', () => {
    const raw = ['Content-Type', 'text/plain', 'Connection', 'close, X-Internal', 'X-Internal', 'y', 'Transfer-Encoding', 'chunked', 'Proxy-Authenticate', 'Basic', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2'];
    expect(forwardedResponseHeaders(raw)).toEqual(['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
  });

  it('measures a request head as written', () => {
    const head = 'GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n';
    expect(requestHeadSize('GET', '/x', ['Host', 'a', 'Connection', 'close'])).toBe(head.length);
  });
});

it('builds a close-delimited error response with a body naming the code', () => {
  expect(rawErrorResponse(502, 'CONNECTION_REFUSED')).toBe(
    'HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 23\r\nConnection: close\r\n\r\n502 CONNECTION_REFUSED\n',
  );
});
