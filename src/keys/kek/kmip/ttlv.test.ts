// TTLV and KMIP message encoding: the KMIP specification's TTLV examples, whole messages encoded by PyKMIP (an
// independent implementation), round trips, and strict decoding of malformed input. No server needed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  Operation,
  ResultStatus,
  Tag,
  parseResponse,
  requestMessage,
  resultReasonName,
} from './kmip-protocol.ts';
import { GCM_TAG_BYTES } from './kmip-client.ts';
import { decodeWrapped, encodeWrapped, wrapAad } from './kmip-wrap-format.ts';
import {
  TtlvError,
  boolean,
  byteString,
  decodeTtlv,
  encodeTtlv,
  enumeration,
  integer,
  structure,
  textString,
  ttlvFrameLength,
  type TtlvItem,
} from './ttlv.ts';

const hex = (text: string): Buffer => Buffer.from(text.replace(/[\s|]/g, ''), 'hex');
const T = 0x420020;

/** KMIP 1.0–2.1 §9.1.2 "Examples" (tag 420020 throughout); PyKMIP's primitives encode the same bytes. */
const SPEC_EXAMPLES: readonly [string, TtlvItem, string][] = [
  ['Integer 8', integer(T, 8), '42 00 20 | 02 | 00 00 00 04 | 00 00 00 08 00 00 00 00'],
  [
    'Long Integer 123456789000000000',
    { tag: T, type: 'longInteger', value: 123456789000000000n },
    '42 00 20 | 03 | 00 00 00 08 | 01 B6 9B 4B A5 74 92 00',
  ],
  [
    'Big Integer 1234567890000000000000000000',
    { tag: T, type: 'bigInteger', value: 1234567890000000000000000000n },
    '42 00 20 | 04 | 00 00 00 10 | 00 00 00 00 03 FD 35 EB 6B C2 DF 46 18 08 00 00',
  ],
  ['Enumeration 255', enumeration(T, 255), '42 00 20 | 05 | 00 00 00 04 | 00 00 00 FF 00 00 00 00'],
  ['Boolean true', boolean(T, true), '42 00 20 | 06 | 00 00 00 08 | 00 00 00 00 00 00 00 01'],
  [
    'Text String "Hello World"',
    textString(T, 'Hello World'),
    '42 00 20 | 07 | 00 00 00 0B | 48 65 6C 6C 6F 20 57 6F 72 6C 64 00 00 00 00 00',
  ],
  [
    'Byte String 01 02 03',
    byteString(T, Uint8Array.of(1, 2, 3)),
    '42 00 20 | 08 | 00 00 00 03 | 01 02 03 00 00 00 00 00',
  ],
  [
    'Date-Time 2008-03-14 11:56:40 UTC',
    { tag: T, type: 'dateTime', value: 0x47da67f8n },
    '42 00 20 | 09 | 00 00 00 08 | 00 00 00 00 47 DA 67 F8',
  ],
  [
    'Interval 10 days',
    { tag: T, type: 'interval', value: 864000 },
    '42 00 20 | 0A | 00 00 00 04 | 00 0D 2F 00 00 00 00 00',
  ],
  [
    'Structure { Enumeration 254, Integer 255 }',
    structure(T, enumeration(0x420004, 254), integer(0x420005, 255)),
    `42 00 20 | 01 | 00 00 00 20 | 42 00 04 | 05 | 00 00 00 04 | 00 00 00 FE 00 00 00 00 |
     42 00 05 | 02 | 00 00 00 04 | 00 00 00 FF 00 00 00 00`,
  ],
];

/** PyKMIP 0.11.0 `RequestMessage.write(kmip_version=KMIP_2_0)`: Encrypt of bytes 00..1f under key "1", AAD "aad". */
const PYKMIP_ENCRYPT_REQUEST = `
42007801000001004200770100000038420069010000002042006a0200000004000000020000000042006b020000000400000000
0000000042000d0200000004000000010000000042000f01000000b842005c05000000040000001f00000000420093080000000400
0000010000000042007901000000904200940700000001310000000000000042002b01000000404200110500000004000000090000
0000420028050000000400000003000000004200c5060000000800000000000000014200ce020000000400000010000000004200c2
0800000020000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f4200fe08000000036161640000000000`;

/** PyKMIP 0.11.0 `ResponseMessage.write(KMIP_2_0)`: a Decrypt that succeeded (key "7") and one that failed. */
const PYKMIP_DECRYPT_RESPONSE = `
42007b010000013042007a0100000048420069010000002042006a0200000004000000020000000042006b020000000400000000
0000000042009209000000080000000047da67f842000d0200000004000000020000000042000f010000007042005c050000000400
000020000000004200930800000004000000010000000042007f0500000004000000000000000042007c01000000384200940700
00000137000000000000004200c20800000020000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f4200
0f010000006042005c050000000400000020000000004200930800000004000000020000000042007f0500000004000000010000
000042007e0500000004000001000000000042007d07000000114f7065726174696f6e206661696c65642e00000000000000`;

void describe('TTLV known answers', () => {
  for (const [name, item, bytes] of SPEC_EXAMPLES) {
    void it(`spec example: ${name}`, () => {
      assert.equal(encodeTtlv(item).toString('hex'), hex(bytes).toString('hex'));
      assert.deepEqual(decodeTtlv(hex(bytes)), item);
    });
  }

  void it('a KMIP 2.0 Encrypt request is byte-for-byte what PyKMIP encodes', () => {
    const message = requestMessage({ major: 2, minor: 0 }, [
      {
        operation: 'encrypt',
        payload: [
          textString(Tag.uniqueIdentifier, '1'),
          structure(
            Tag.cryptographicParameters,
            enumeration(Tag.blockCipherMode, 9),
            enumeration(Tag.cryptographicAlgorithm, 3),
            boolean(Tag.randomIv, true),
            integer(Tag.tagLength, 16),
          ),
          byteString(Tag.data, Buffer.from(Array.from({ length: 32 }, (_, i) => i))),
          byteString(Tag.authenticatedEncryptionAdditionalData, Buffer.from('aad')),
        ],
      },
    ]);
    assert.equal(encodeTtlv(message).toString('hex'), hex(PYKMIP_ENCRYPT_REQUEST).toString('hex'));
  });

  void it('parses a response PyKMIP encodes: results, reasons, payloads, batch item ids', () => {
    const { version, items } = parseResponse(decodeTtlv(hex(PYKMIP_DECRYPT_RESPONSE)), 2);
    assert.deepEqual(version, { major: 2, minor: 0 });
    assert.equal(items[0]!.status, ResultStatus.success);
    assert.equal(items[0]!.operation, Operation.decrypt);
    const data = items[0]!.payload!.type === 'structure' ? items[0]!.payload!.value[1] : undefined;
    assert.deepEqual(
      data?.value,
      Uint8Array.from({ length: 32 }, (_, i) => i),
    );
    assert.equal(items[1]!.status, ResultStatus.operationFailed);
    assert.equal(resultReasonName(items[1]!.reason), 'General Failure');
    assert.equal(items[1]!.message, 'Operation failed.');
  });

  void it('refuses a response whose batch item answers another request item', () => {
    const swapped = hex(PYKMIP_DECRYPT_RESPONSE);
    const at = swapped.indexOf(hex('42009308000000040000000100000000'));
    swapped[at + 11] = 2;
    assert.throws(() => parseResponse(decodeTtlv(swapped), 2), /answers another request item/);
  });
});

void describe('TTLV round trips', () => {
  void it('every type, nested, survives encode → decode', () => {
    for (let round = 0; round < 200; round++) {
      const item = structure(
        0x420001,
        integer(0x420002, (Math.random() * 2 ** 32 - 2 ** 31) | 0),
        {
          tag: 0x420003,
          type: 'longInteger',
          value: BigInt.asIntN(64, BigInt(`0x${randomBytes(8).toString('hex')}`)),
        },
        {
          tag: 0x420004,
          type: 'bigInteger',
          value: BigInt.asIntN(8 * 24, BigInt(`0x${randomBytes(24).toString('hex')}`)),
        },
        enumeration(0x420005, (Math.random() * 2 ** 32) >>> 0),
        boolean(0x420006, round % 2 === 0),
        textString(0x420007, 'é€😀'.repeat(round % 5)),
        byteString(0x420008, new Uint8Array(randomBytes(round % 23))),
        { tag: 0x420009, type: 'dateTime', value: BigInt(round) * 1_000_003n },
        structure(0x42000a, structure(0x42000b), textString(0x42000c, '')),
      );
      const bytes = encodeTtlv(item);
      assert.equal(bytes.length % 8, 0);
      assert.deepEqual(decodeTtlv(bytes), item);
    }
  });

  void it('big integers are minimal multiples of 8 bytes, sign-extended', () => {
    const cases: [bigint, string][] = [
      [0n, '0000000000000000'],
      [-1n, 'ffffffffffffffff'],
      [2n ** 63n - 1n, '7fffffffffffffff'],
      [2n ** 63n, '00000000000000008000000000000000'],
      [-(2n ** 63n), '8000000000000000'],
      [-(2n ** 63n) - 1n, 'ffffffffffffffff7fffffffffffffff'],
    ];
    for (const [value, expected] of cases) {
      const item: TtlvItem = { tag: T, type: 'bigInteger', value };
      assert.equal(encodeTtlv(item).subarray(8).toString('hex'), expected, String(value));
      assert.deepEqual(decodeTtlv(encodeTtlv(item)), item);
    }
  });

  void it('frames: the header announces the whole message length', () => {
    const bytes = encodeTtlv(structure(T, textString(0x420001, 'x')));
    assert.equal(ttlvFrameLength(bytes.subarray(0, 8)), bytes.length);
    assert.throws(() => ttlvFrameLength(encodeTtlv(integer(T, 1))), TtlvError);
  });
});

void describe('TTLV strict decoding', () => {
  const reject = (bytes: string, pattern: RegExp): void =>
    assert.throws(
      () => decodeTtlv(hex(bytes)),
      (e: unknown) => e instanceof TtlvError && pattern.test(e.message),
    );

  void it('refuses wrong lengths, padding, booleans, types, UTF-8, trailing bytes and truncation', () => {
    reject('420020 02 00000008 0000000800000000', /has length 8, not 4/);
    reject('420020 02 00000004 0000000800000001', /non-zero padding/);
    reject('420020 06 00000008 0000000000000002', /neither 0 nor 1/);
    reject('420020 0F 00000004 0000000800000000', /unknown type 0xf/);
    reject('420020 07 00000002 c328000000000000', /not UTF-8/);
    reject('420020 02 00000004 0000000800000000 00', /after the item/);
    reject('420020 02 00000004 00000008', /runs past its container/);
    reject('420020 020000', /truncated header/);
    reject('420020 01 00000018 420004 02 00000004 0000000800000000', /runs past its container/);
    reject('420020 01 00000010 420004 02 00000004 00000008000000', /runs past its container|truncated/);
    reject('420020 04 00000004 0102030400000000', /bigInteger .* has length 4/);
  });

  void it('refuses structures nested deeper than 32', () => {
    let item: TtlvItem = integer(T, 1);
    for (let i = 0; i < 40; i++) item = structure(T, item);
    assert.throws(() => decodeTtlv(encodeTtlv(item)), /nested deeper/);
  });
});

void describe('kmip wrap format', () => {
  const sealed = { iv: randomBytes(16), tag: randomBytes(GCM_TAG_BYTES), ciphertext: randomBytes(32) };

  void it('encodes version, key id, IV, tag and ciphertext, and decodes them back', () => {
    const wrapped = Buffer.from(encodeWrapped('key-42', sealed));
    assert.equal(wrapped[0], 0x01);
    assert.equal(wrapped.length, 1 + 1 + 6 + 1 + 16 + 16 + 32);
    const decoded = decodeWrapped(wrapped);
    assert.equal(decoded.uid, 'key-42');
    assert.deepEqual(Buffer.from(decoded.iv), sealed.iv);
    assert.deepEqual(Buffer.from(decoded.tag), sealed.tag);
    assert.deepEqual(Buffer.from(decoded.ciphertext), sealed.ciphertext);
  });

  void it('the AAD names the format version and the key', () => {
    assert.notDeepEqual(wrapAad('1'), wrapAad('2'));
    assert.ok(wrapAad('k').includes(Buffer.from('v1')));
  });

  void it('refuses what cannot be a wrapped DEK without asking the server', () => {
    const wrapped = Buffer.from(encodeWrapped('k', sealed));
    const reason = (bytes: Uint8Array): string => {
      try {
        decodeWrapped(bytes);
        return 'accepted';
      } catch (error) {
        return (error as { details: { reason: string } }).details.reason;
      }
    };
    assert.equal(reason(Buffer.alloc(0)), 'truncated');
    assert.equal(reason(Buffer.concat([Buffer.of(2), wrapped.subarray(1)])), 'unknown-version');
    assert.equal(reason(wrapped.subarray(0, 1 + 1 + 1 + 1 + 16 + 16)), 'truncated');
    assert.equal(reason(Buffer.concat([wrapped, Buffer.alloc(300)])), 'too-long');
    const badIv = Buffer.from(wrapped);
    badIv[3] = 4;
    assert.equal(reason(badIv), 'malformed');
  });
});
