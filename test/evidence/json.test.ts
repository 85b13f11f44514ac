import { evidenceFromJson, evidenceToJson } from '../../src/evidence/json';
import { fullEvidence } from '../support/evidence-fixtures';

test('an evidence record survives JSON (through a string) with its Buffers and Dates', () => {
  const data = fullEvidence();
  const back = evidenceFromJson(JSON.parse(JSON.stringify(evidenceToJson(data))));
  expect(back).toEqual(data);
  expect(Buffer.isBuffer(back.message?.digestSha256)).toBe(true);
  expect(back.eventTime).toBeInstanceOf(Date);
});
