import { loadConfig, parseTrustProxy } from '../config/app-config.js';
import { addressOf } from './client-address.js';

describe('addressOf', () => {
  it.each([
    ['203.0.113.9', '203.0.113.9'],
    [' 203.0.113.9 ', '203.0.113.9'],
    ['203.0.113.9:8080', '203.0.113.9'],
    ['2001:db8::1', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['::ffff:203.0.113.9', '::ffff:203.0.113.9'],
  ])('reads %j as %j', (hop, address) => {
    expect(addressOf(hop)).toBe(address);
  });

  it.each([
    [undefined],
    [''],
    ['unknown'],
    ['999.1.1.1'],
    ['1.2.3'],
    ['203.0.113.9:'],
    ['203.0.113.9:123456'],
    ['[203.0.113.9'],
    ['2001:db8::1:443]'],
    ['_hidden'],
    ['203.0.113.9, 198.51.100.1'],
  ])('refuses %j', (hop) => {
    expect(addressOf(hop)).toBeUndefined();
  });
});

describe('TRUST_PROXY', () => {
  it('accepts names, addresses, prefixes and netmasks', () => {
    expect(
      parseTrustProxy(
        'loopback, 10.0.0.0/8, 192.168.0.0/255.255.0.0, 2001:db8::/32, 127.0.0.1, ::1',
      ),
    ).toEqual([
      'loopback',
      '10.0.0.0/8',
      '192.168.0.0/255.255.0.0',
      '2001:db8::/32',
      '127.0.0.1',
      '::1',
    ]);
    expect(parseTrustProxy('2')).toBe(2);
  });

  it.each([
    ['0.0.0.0/0'],
    ['::/0'],
    ['0.0.0.0/0.0.0.0'],
    ['::ffff:0:0/96'],
    ['::/8'],
    ['10.0.0.0/8, 0.0.0.0/0'],
  ])('refuses %s, which trusts every address, naming the variable', (value) => {
    expect(() => parseTrustProxy(value)).toThrow(
      /TRUST_PROXY has ".*", which trusts every address/,
    );
  });

  it.each([['junk'], ['10.0.0.0/33'], ['10.0.0.0/255.0.255.0'], ['10.0.0.0/8/8'], ['300.1.1.1']])(
    'refuses %s as no address or subnet',
    (value) => {
      expect(() => parseTrustProxy(value)).toThrow(
        /^Invalid configuration:\n {2}- TRUST_PROXY has/,
      );
    },
  );

  it('stops the boot with that message (main.ts prints it and exits 1), never a crash later', () => {
    expect(() => loadConfig({ TRUST_PROXY: '0.0.0.0/0' })).toThrow(
      /TRUST_PROXY has "0\.0\.0\.0\/0", which trusts every address/,
    );
  });
});
