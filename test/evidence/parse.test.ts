import { EvidenceParseError } from '../../src/evidence/errors';
import { parseEvidenceXml } from '../../src/evidence/parse';
import { renderEvidenceXml } from '../../src/evidence/render';
import { ReasonCode } from '../../src/evidence/reasons';
import { COMBOS, comboEvidence, fullEvidence, minimalEvidence } from '../support/evidence-fixtures';

describe('parseEvidenceXml', () => {
  test.each(COMBOS.map((c, i) => [`${c.type}/${c.event}`, i] as const))('%s round-trips render → parse', (_n, i) => {
    const data = comboEvidence(COMBOS[i]!, i);
    expect(parseEvidenceXml(renderEvidenceXml(data))).toEqual(data);
  });

  test('minimal and full records round-trip, from a string or from bytes', () => {
    expect(parseEvidenceXml(renderEvidenceXml(minimalEvidence()))).toEqual(minimalEvidence());
    const full = fullEvidence();
    expect(parseEvidenceXml(Buffer.from(renderEvidenceXml(full), 'utf8'))).toEqual(full);
  });

  test('lenient: URIs with "//", older type names, mailto: prefixes, zone-less times, private reason codes', () => {
    const data = { ...minimalEvidence(), type: 'RelayREMMDAcceptanceRejection' as const, event: 'Rejection' as const, reasons: [{ code: ReasonCode.UnknownRecipient }] };
    const xml = renderEvidenceXml(data)
      .replace('http:uri.etsi.org/02640/Event#', 'http://uri.etsi.org/02640/Event#')
      .replace('http:uri.etsi.org/REM/EventReason#', 'http://uri.etsi.org/REM/EventReason#')
      .replaceAll('rem:RelayREMMDAcceptanceRejection', 'rem:REMMDAcceptanceRejection')
      .replace('>ali.veli@kep.example<', '>mailto:ali.veli@kep.example<')
      .replace('2024-01-02T10:00:05.123Z', '2024-01-02T10:00:05.123');
    expect(parseEvidenceXml(xml)).toEqual(data);

    const failure = renderEvidenceXml({ ...minimalEvidence(), type: 'RelayREMMDFailure', event: 'DeliveryExpiration', reasons: [{ code: ReasonCode.R_REMMD_Unreachable }] })
      .replaceAll('rem:RelayREMMDFailure', 'rem:RelayToREMMDFailure')
      .replace('http:uri.etsi.org/REM/EventReason#R_REMMD_Unreachable', 'http:uri.eu-spocs.eu/edelivery/v1#DuplicateMsgID');
    const parsed = parseEvidenceXml(failure);
    expect(parsed.type).toBe('RelayREMMDFailure');
    expect(parsed.reasons).toEqual([{ code: ReasonCode.Other, details: 'http:uri.eu-spocs.eu/edelivery/v1#DuplicateMsgID' }]);
  });

  test('times with an offset are read as the instant they name', () => {
    const xml = renderEvidenceXml(minimalEvidence()).replace('2024-01-02T10:00:05.123Z', '2024-01-02T13:00:05.123+03:00');
    expect(parseEvidenceXml(xml).eventTime.toISOString()).toBe('2024-01-02T10:00:05.123Z');
  });

  const hostile: Array<[string, string | Buffer]> = [
    ['an external entity (XXE)', '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rem:SubmissionAcceptanceRejection xmlns:rem="http://uri.etsi.org/02640/v2#" version="2.1.1">&x;</rem:SubmissionAcceptanceRejection>'],
    ['entity expansion', '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><r>&b;</r>'],
    ['a processing instruction in the content', renderEvidenceXml(minimalEvidence()).replace('<rem:EventCode>', '<?x y?><rem:EventCode>')],
    ['malformed XML', '<rem:SubmissionAcceptanceRejection xmlns:rem="http://uri.etsi.org/02640/v2#"><a></b>'],
    ['an unbound prefix', '<rem:SubmissionAcceptanceRejection version="2.1.1"/>'],
    ['a foreign root element', '<tns:Evidence xmlns:tns="http://uri.etsi.org/19522/v1#" version="x"/>'],
    ['an unknown rem root element', '<rem:Whatever xmlns:rem="http://uri.etsi.org/02640/v2#" version="2.1.1"/>'],
    ['a missing EvidenceIdentifier', renderEvidenceXml(minimalEvidence()).replace(/<rem:EvidenceIdentifier>.*<\/rem:EvidenceIdentifier>/, '')],
    ['a missing EventCode', renderEvidenceXml(minimalEvidence()).replace(/<rem:EventCode>.*<\/rem:EventCode>/, '')],
    ['a bad EventTime', renderEvidenceXml(minimalEvidence()).replace('2024-01-02T10:00:05.123Z', 'yesterday')],
    ['invalid UTF-8', Buffer.concat([Buffer.from('<r>'), Buffer.from([0xc3, 0x28]), Buffer.from('</r>')])],
    ['another encoding', '<?xml version="1.0" encoding="ISO-8859-9"?><r/>'],
    ['empty input', ''],
    ['deep nesting', '<a>'.repeat(5000) + '</a>'.repeat(5000)],
  ];
  test.each(hostile)('refuses %s with EvidenceParseError', (_n, input) => {
    expect(() => parseEvidenceXml(input)).toThrow(EvidenceParseError);
  });

  test('refuses input over the size bound before parsing it', () => {
    const xml = renderEvidenceXml(minimalEvidence());
    expect(() => parseEvidenceXml(xml, { maxBytes: 100 })).toThrow(/over the limit/);
  });
});
