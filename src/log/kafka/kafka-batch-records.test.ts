// The records a node reads out of one Kafka batch (recordsOfBatch): one per offset the broker assigned, never
// at an offset a producer's bytes claim (the Kafka red team's round 2: a record's offsetDelta of 1,000 made
// every node skip the records in between; a negative one hid a record and stalled catch-up).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KafkaRecord, RecordsBatch } from '@platformatic/kafka';
import { recordsOfBatch } from './kafka-partition-reader.ts';

const LOG_APPEND_TIME = 0b1000;
const CONTROL = 0b10_0000;

const record = (offsetDelta: number, value: string): KafkaRecord =>
  ({
    attributes: 0,
    timestampDelta: 0n,
    offsetDelta,
    key: Buffer.from('tenant'),
    value: Buffer.from(value),
    headers: [],
  }) as unknown as KafkaRecord;

const batch = (records: KafkaRecord[], overrides: Partial<RecordsBatch> = {}): RecordsBatch => ({
  firstOffset: 100n,
  length: 0,
  partitionLeaderEpoch: 0,
  magic: 2,
  crc: 0,
  attributes: LOG_APPEND_TIME,
  lastOffsetDelta: records.length - 1,
  firstTimestamp: 5n,
  maxTimestamp: 7n,
  producerId: -1n,
  producerEpoch: -1,
  firstSequence: -1,
  records,
  ...overrides,
});

const shape = (records: ReturnType<typeof recordsOfBatch>) =>
  records.map((r) => [r.offset, Buffer.from(r.value).toString('utf8'), r.timestamp]);

describe('recordsOfBatch', () => {
  it('I-L1: an honest batch gives one record per offset, with the broker’s append time', () => {
    assert.deepEqual(shape(recordsOfBatch(3, batch([record(0, 'a'), record(1, 'b')]))), [
      [100, 'a', 7],
      [101, 'b', 7],
    ]);
  });

  it('I-L6: a record claiming another offset is an empty record at its own position, never at the claim', () => {
    for (const claimed of [1000, -1, 0, 5]) {
      const records = recordsOfBatch(0, batch([record(0, 'a'), record(claimed, 'forged'), record(2, 'c')]));
      assert.deepEqual(shape(records), [
        [100, 'a', 7],
        [101, '', 7],
        [102, 'c', 7],
      ]);
    }
  });

  it('I-L1: a batch whose header spans more offsets than it holds records reads empty records for the rest', () => {
    assert.deepEqual(shape(recordsOfBatch(0, batch([record(0, 'a')], { lastOffsetDelta: 2 }))), [
      [100, 'a', 7],
      [101, '', 7],
      [102, '', 7],
    ]);
  });

  it('I-L6: a transaction marker (a control batch) is an empty record at each offset it takes', () => {
    const marker = batch([record(0, '\u0000\u0000\u0000\u0001')], { attributes: CONTROL | LOG_APPEND_TIME });
    assert.deepEqual(shape(recordsOfBatch(0, marker)), [[100, '', 7]]);
  });
});
