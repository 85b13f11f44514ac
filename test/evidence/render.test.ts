import { DOMParser } from '@xmldom/xmldom';
import { InvalidEvidenceData } from '../../src/evidence/errors';
import { parseEvidenceXml } from '../../src/evidence/parse';
import { renderEvidenceXml } from '../../src/evidence/render';
import { ReasonCode } from '../../src/evidence/reasons';
import { COMBOS, comboEvidence, fullEvidence, minimalEvidence, tempDir, xmllintValidate } from '../support/evidence-fixtures';

const NS_REM = 'http://uri.etsi.org/02640/v2#';

/** REMEvidenceType child order (TS02640_v2.xsd). */
const SCHEMA_ORDER = [
  'EventCode',
  'EventReasons',
  'EvidenceIdentifier',
  'EvidenceIssuerPolicyID',
  'EvidenceIssuerDetails',
  'SenderAuthenticationDetails',
  'RecipientAuthenticationDetails',
  'EventTime',
  'SubmissionTime',
  'ReplyTo',
  'ReplyToAddress',
  'SenderDetails',
  'RecipientsDetails',
  'RecipientsDelegatesDetails',
  'EvidenceRefersToRecipient',
  'SenderMessageDetails',
  'NotificationMessageDetails',
  'ForwardedToExternalSystem',
  'TransactionLogInformation',
  'Extensions',
  'Signature',
];

function rootOf(xml: string) {
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  return doc.documentElement!;
}

function childNames(xml: string): string[] {
  const names: string[] = [];
  for (let c = rootOf(xml).firstChild; c; c = c.nextSibling) if (c.nodeType === 1) names.push((c as unknown as { localName: string }).localName);
  return names;
}

describe('renderEvidenceXml', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  test.each(COMBOS.map((c, i) => [`${c.type}/${c.event}`, i] as const))('%s validates against the TS 102 640-2 v2 schema', async (_name, i) => {
    const data = comboEvidence(COMBOS[i]!, i);
    const xml = renderEvidenceXml(data);
    const r = await xmllintValidate(tmp.file(`combo-${i}.xml`, xml));
    expect(r.stderr).toContain('validates');
    expect(r.code).toBe(0);

    const root = rootOf(xml);
    expect(root.namespaceURI).toBe(NS_REM);
    expect(root.localName).toBe(data.type);
    expect(root.prefix).toBe('rem');
    expect(root.getAttribute('version')).toBe('2.1.1');
    expect(root.getAttribute('Id')).toBe(data.id);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
  });

  test('children follow the schema order and carry every mandatory element', () => {
    const names = childNames(renderEvidenceXml(comboEvidence(COMBOS[5]!, 5)));
    const positions = names.map((n) => SCHEMA_ORDER.indexOf(n));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    for (const m of ['EventCode', 'EventReasons', 'EvidenceIdentifier', 'EvidenceIssuerDetails', 'EventTime', 'SenderDetails', 'RecipientsDetails']) {
      expect(names).toContain(m);
    }
  });

  test('renders the event and reason URIs as the spec writes them, times in UTC', () => {
    const xml = renderEvidenceXml(comboEvidence(COMBOS[3]!, 3));
    expect(xml).toContain('<rem:EventCode>http:uri.etsi.org/02640/Event#NonDelivery</rem:EventCode>');
    expect(xml).toContain('<rem:Code>http:uri.etsi.org/REM/EventReason#MailboxFull</rem:Code>');
    expect(xml).toContain('<rem:EventTime>2024-01-02T10:00:05.123Z</rem:EventTime>');
    expect(xml).toContain('<rem:EvidenceRefersToRecipient>1</rem:EvidenceRefersToRecipient>');
  });

  test('entity details, message details and the KEP extension', () => {
    const data = fullEvidence();
    const xml = renderEvidenceXml(data);
    expect(xml).toContain('<rem:Name>Örnek KEPHS A.Ş. &lt;test&gt; &amp; "co"</rem:Name>');
    expect(xml).toContain('<rem:AttributedElectronicAddress scheme="mailto">ali.veli@kep.example</rem:AttributedElectronicAddress>');
    expect(xml).toContain(`<rem:X509Certificate>${data.sender.certificateDer!.toString('base64')}</rem:X509Certificate>`);
    expect(xml).toContain('<rem:SenderMessageDetails isNotification="false">');
    expect(xml).toContain('<rem:UAMessageIdentifier>&lt;ua-123@client.example&gt;</rem:UAMessageIdentifier>');
    expect(xml).toContain('Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"');
    expect(xml).toContain(
      `<ds:DigestValue xmlns:ds="http://www.w3.org/2000/09/xmldsig#">${data.message!.digestSha256!.toString('base64')}</ds:DigestValue>`,
    );
    expect(xml).toContain('<rem:Extension isCritical="false">');
    expect(xml).toContain('<kepd:KepExtension xmlns:kepd="urn:kepd:evidence-extension:1">');
    expect(xml).toContain('<kepd:iletiTip>eTebligat</kepd:iletiTip>');
    expect(xml).toContain('<rem:ReplyToAddress scheme="mailto">cevap@kep.example</rem:ReplyToAddress>');
    // CR survives as a character reference (a literal CR would be normalised away by parsers).
    expect(xml).toContain('faiz&#xD;\nsatır 2');
  });

  test('EvidenceIssuerPolicyID only when policy ids are given', async () => {
    const min = minimalEvidence();
    const xml = renderEvidenceXml(min);
    expect(xml).not.toContain('EvidenceIssuerPolicyID');
    expect(renderEvidenceXml({ ...min, policyIds: ['urn:oid:1.2.3'] })).toContain('<rem:PolicyID>urn:oid:1.2.3</rem:PolicyID>');
    const r = await xmllintValidate(tmp.file('minimal.xml', xml));
    expect(r.code).toBe(0);
  });

  test('characters XML 1.0 cannot carry are replaced in free text, and the result still validates', async () => {
    const data = fullEvidence();
    data.message!.subject = 'a\u0000b\u001bc\uD800d\uFFFEe';
    data.sender.name = 'x\u0007y';
    const xml = renderEvidenceXml(data);
    expect(xml).toContain('<rem:MessageSubject>a\uFFFDb\uFFFDc\uFFFDd\uFFFDe</rem:MessageSubject>');
    expect(xml).toContain('<rem:Name>x\uFFFDy</rem:Name>');
    const r = await xmllintValidate(tmp.file('controls.xml', xml));
    expect(r.code).toBe(0);
  });

  test('addresses that are not valid URIs as written are percent-encoded, stay schema-valid and parse back', async () => {
    const odd = ['a%zz@kep.example', 'a[b]@kep.example', 'a#b#c@kep.example', ':x@kep.example', '"ali veli"@kep.example', 'a%25b@kep.example'];
    const data = { ...minimalEvidence(), recipients: odd.map((address) => ({ address })), replyTo: 'r%1@kep.example' };
    const xml = renderEvidenceXml(data);
    expect(xml).toContain('>a%25zz@kep.example<');
    expect(xml).toContain('>a%5Bb%5D@kep.example<');
    const r = await xmllintValidate(tmp.file('odd-addresses.xml', xml));
    expect(r.stderr).toContain('validates');
    expect(parseEvidenceXml(xml)).toEqual(data);
  });

  test('a provider-generated value with a control character is refused', () => {
    expect(() => renderEvidenceXml({ ...minimalEvidence(), identifier: 'ev\u0001@x' })).toThrow(InvalidEvidenceData);
    expect(() => renderEvidenceXml({ ...minimalEvidence(), sender: { address: 'a\u0002@x' } })).toThrow(InvalidEvidenceData);
  });

  test('negative: an Id that is not an NCName is refused by the renderer and by the schema', async () => {
    const data = { ...minimalEvidence(), id: '01HM7Z8Q4N' };
    expect(() => renderEvidenceXml(data)).toThrow(InvalidEvidenceData);
    expect(() => renderEvidenceXml({ ...minimalEvidence(), id: 'ev:1' })).toThrow(/NCName/);
    // Independent check: the same document with the digit-first Id fails xmllint.
    const bad = renderEvidenceXml(minimalEvidence()).replace('Id="ev-min"', 'Id="1ev-min"');
    const r = await xmllintValidate(tmp.file('bad-id.xml', bad));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Id|NCName|ID/);
  });

  test('a negative event without a reason is refused', () => {
    const data = { ...minimalEvidence(), event: 'Rejection' as const };
    expect(() => renderEvidenceXml(data)).toThrow(InvalidEvidenceData);
    expect(() => renderEvidenceXml({ ...data, reasons: [] })).toThrow(/reason/);
    expect(() => renderEvidenceXml({ ...data, reasons: [{ code: ReasonCode.InvalidUserSignature }] })).not.toThrow();
  });

  test('a refusal before any recipient was named renders one empty EntityDetails, schema-valid; other events need an address', async () => {
    const rejection = { ...minimalEvidence(), event: 'Rejection' as const, reasons: [{ code: ReasonCode.PolicyViolation }], recipients: [{}] };
    const xml = renderEvidenceXml(rejection);
    expect(xml).toMatch(/<rem:RecipientsDetails>\s*<rem:EntityDetails>\s*<\/rem:EntityDetails>\s*<\/rem:RecipientsDetails>/);
    const r = await xmllintValidate(tmp.file('empty-recipient.xml', xml));
    expect(r.code).toBe(0);
    expect(() => renderEvidenceXml({ ...minimalEvidence(), recipients: [{}] })).toThrow(/recipients\[0\]\.address/);
  });

  test('inconsistent records are refused', () => {
    const min = minimalEvidence();
    expect(() => renderEvidenceXml({ ...min, event: 'Delivery' })).toThrow(/not an event of/);
    expect(() => renderEvidenceXml({ ...min, refersToRecipient: 2 })).toThrow(/outside 1..1/);
    expect(() => renderEvidenceXml({ ...min, recipients: [] })).toThrow(InvalidEvidenceData);
    expect(() => renderEvidenceXml({ ...min, eventTime: new Date(NaN) })).toThrow(/eventTime/);
    expect(() => renderEvidenceXml({ ...min, reasons: [{ code: 99 as ReasonCode }] })).toThrow(/unknown code/);
    expect(() =>
      renderEvidenceXml({ ...min, message: { subject: 's', providerMessageId: '<a@b>', digestSha256: Buffer.alloc(20) } }),
    ).toThrow(/32-byte/);
  });
});
