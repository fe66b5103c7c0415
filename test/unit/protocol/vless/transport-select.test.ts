import { describe, expect, it } from 'vitest';
import { selectTransport } from '../../../../core/transport/select.js';

describe('selectTransport (Clash network / tls fields)', () => {
  it('picks tcp, tls, ws and wss', () => {
    expect(selectTransport({}).kind).toBe('tcp');
    expect(selectTransport({ network: 'tcp', tls: false }).kind).toBe('tcp');
    expect(selectTransport({ tls: true }).kind).toBe('tls');
    expect(selectTransport({ network: 'ws' }).kind).toBe('ws');
    expect(selectTransport({ network: 'ws', tls: true }).kind).toBe('wss');
  });

  it('forces TLS for protocols that always use it (Trojan)', () => {
    expect(selectTransport({ tls: false }, { forceTls: true }).kind).toBe('tls');
    expect(selectTransport({ network: 'ws' }, { forceTls: true }).kind).toBe('wss');
  });
});
