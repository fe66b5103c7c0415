import { describe, expect, it } from 'vitest';
import { VlessCodec, encodeVlessRequest } from '../../../../core/protocol/vless/header.js';
import { uuidBytes } from '../../../../core/protocol/vless/uuid.js';
import { vlessSchema } from '../../../../core/protocol/vless/index.js';

const UUID = 'b831381d-6324-4d53-ad4f-8cda48b30811';
const ID = Buffer.from('b831381d63244d53ad4f8cda48b30811', 'hex');
const head = Buffer.concat([Buffer.from([0]), ID, Buffer.from([0, 1])]); // version, uuid, addons 0, TCP

describe('VLESS request header', () => {
  it('IPv4: port then type 1 and four bytes', () => {
    expect(encodeVlessRequest(uuidBytes(UUID), { host: '192.168.1.2', port: 8080 })).toEqual(
      Buffer.concat([head, Buffer.from([0x1f, 0x90, 1, 192, 168, 1, 2])]),
    );
  });

  it('domain: type 2, length, name', () => {
    expect(encodeVlessRequest(uuidBytes(UUID), { host: 'example.com', port: 443 })).toEqual(
      Buffer.concat([head, Buffer.from([0x01, 0xbb, 2, 11]), Buffer.from('example.com')]),
    );
  });

  it('IPv6: type 3 and sixteen bytes, compressed forms expanded', () => {
    expect(encodeVlessRequest(uuidBytes(UUID), { host: '2001:db8::1', port: 80 })).toEqual(
      Buffer.concat([head, Buffer.from([0, 80, 3]), Buffer.from('20010db8000000000000000000000001', 'hex')]),
    );
  });

  it('refuses a destination name longer than 255 bytes', () => {
    expect(() => encodeVlessRequest(uuidBytes(UUID), { host: 'a'.repeat(256), port: 80 })).toThrow(expect.objectContaining({ code: 'HOST_UNREACHABLE' }));
  });
});

describe('VLESS response header', () => {
  it('is stripped however it is split, addons included', () => {
    const codec = new VlessCodec();
    const got: Buffer[] = [];
    const wire = Buffer.concat([Buffer.from([0, 3, 9, 9, 9]), Buffer.from('payload')]);
    for (let i = 0; i < wire.length; i++) codec.decode(wire.subarray(i, i + 1), (b) => got.push(b));
    expect(codec.answered).toBe(true);
    expect(Buffer.concat(got).toString()).toBe('payload');
    codec.decode(Buffer.from(' more'), (b) => got.push(b));
    expect(Buffer.concat(got).toString()).toBe('payload more');
  });

  it('passes payload arriving with the header in the same read', () => {
    const codec = new VlessCodec();
    const got: Buffer[] = [];
    codec.decode(Buffer.from([0, 0, 104, 105]), (b) => got.push(b));
    expect(Buffer.concat(got).toString()).toBe('hi');
  });

  it('fails on a version it does not know with UPSTREAM_PROTOCOL', () => {
    expect(() => new VlessCodec().decode(Buffer.from([1, 0]), () => {})).toThrow(expect.objectContaining({ code: 'UPSTREAM_PROTOCOL' }));
  });
});

describe('vless profile entry', () => {
  const base = { name: 'vl', type: 'vless', server: 'example.com', port: 443, uuid: UUID };
  const issues = (input: unknown) => {
    const r = vlessSchema.safeParse(input);
    return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  };

  it('accepts an empty flow and encryption none', () => {
    expect(issues({ ...base, flow: '', encryption: 'none', tls: true, 'client-fingerprint': 'chrome' })).toEqual([]);
  });

  it('refuses a non-empty flow, naming the field', () => {
    expect(issues({ ...base, flow: 'xtls-rprx-vision' })).toEqual([{ path: 'flow', message: expect.stringContaining('not supported') }]);
  });

  it('names ws-opts fields that have the wrong shape', () => {
    expect(issues({ ...base, network: 'ws', 'ws-opts': { path: 5 } })).toEqual([{ path: 'ws-opts.path', message: 'expected a path such as /ws, got 5' }]);
  });
});
