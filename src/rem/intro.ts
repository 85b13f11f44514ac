/**
 * The human-readable introduction of REM messages (multipart/alternative, text + HTML),
 * in Turkish and English. Pure: returns MIME text for a part, no I/O.
 */
import type { EvidenceData } from '../evidence/model';
import { ReasonCode } from '../evidence/reasons';
import { base64Lines, CRLF, headerBlock, newBoundary } from './format';
import { eventLabel } from './labels';

export interface IntroText {
  text: string;
  html: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
// Module-level callbacks (here and in table()): see xml-text.ts on closures made per call.
const htmlEscape = (c: string): string => HTML_ESCAPES[c] as string;
const esc = (s: string): string => s.replace(/[&<>"']/g, htmlEscape);
const textRow = ([k, v]: [string, string]): string => `${k}: ${v}`;
const htmlRow = ([k, v]: [string, string]): string => `<tr><th align="left">${esc(k)}</th><td>${esc(v)}</td></tr>`;

const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function table(rows: Array<[string, string]>): { text: string; html: string } {
  return {
    text: rows.map(textRow).join('\n'),
    html:
      '<table cellpadding="4" style="border-collapse:collapse">' +
      rows.map(htmlRow).join('') +
      '</table>',
  };
}

export function receiptIntro(ev: EvidenceData, providerName: string): IntroText {
  const label = eventLabel(ev.type, ev.event);
  const subject = ev.message?.subject ?? '';
  const recipient = ev.refersToRecipient ? ev.recipients[ev.refersToRecipient - 1]?.address : undefined;
  const rows: Array<[string, string]> = [
    ['Delil / Evidence', `${label.tr} (${ev.type} / ${ev.event})`],
    ['Konu / Subject', subject],
    ['Gönderen / Sender', ev.sender.address ?? ''],
    ['Alıcı / Recipient', recipient ?? ev.recipients.map((r) => r.address ?? '').filter(Boolean).join(', ')],
    ['Olay zamanı / Event time (UTC)', iso(ev.eventTime)],
    ['KEP ileti no / Message id', ev.message?.providerMessageId ?? '-'],
    ['Delil no / Evidence id', ev.identifier],
  ];
  for (const r of ev.reasons ?? []) {
    rows.push(['Sebep / Reason', `${ReasonCode[r.code]} (${r.code})${r.details ? `: ${r.details}` : ''}`]);
  }
  const t = table(rows);
  const lead = `Bu KEP delili, "${subject}" konulu iletinizle ilgili "${label.tr}" olayını belgeler.`;
  const leadEn = `This KEP evidence records that your message "${subject}" ${label.en}.`;
  const tail =
    `Ekteki ${ev.type}.xml, ${providerName} tarafından imzalanmış ve zaman damgalanmış ETSI TS 102 640 delilidir.\n` +
    `The attached ${ev.type}.xml is the ETSI TS 102 640 evidence, signed and time-stamped by ${providerName}.`;
  return {
    text: `${lead}\n${leadEn}\n\n${t.text}\n\n${tail}\n`,
    html: `<p>${esc(lead)}<br>${esc(leadEn)}</p>${t.html}<p>${esc(tail).replace(/\n/g, '<br>')}</p>`,
  };
}

export interface DispatchIntroInput {
  sender: string;
  subject: string;
  submittedAt: Date;
  providerMessageId: string;
  iletiTip: string;
}

export function dispatchIntro(d: DispatchIntroInput, providerName: string): IntroText {
  const t = table([
    ['Gönderen / Sender', d.sender],
    ['Konu / Subject', d.subject],
    ['Kabul zamanı / Accepted at (UTC)', iso(d.submittedAt)],
    ['KEP ileti no / Message id', d.providerMessageId],
    ['İleti tipi / Message type', d.iletiTip],
  ]);
  const lead =
    `${d.sender} adresinden size bir KEP iletisi geldi. Özgün ileti ekte (message/rfc822) ve ${providerName} kabul delili (SubmissionAcceptanceRejection.xml) ile birliktedir.`;
  const leadEn =
    `You have received a KEP (registered e-mail) message from ${d.sender}. The original message is attached, together with the acceptance evidence of ${providerName}.`;
  return {
    text: `${lead}\n${leadEn}\n\n${t.text}\n`,
    html: `<p>${esc(lead)}<br>${esc(leadEn)}</p>${t.html}`,
  };
}

/** The multipart/alternative introduction part (headers + body), CRLF throughout. */
export function renderIntroPart(intro: IntroText): string {
  const b = newBoundary('intro');
  const textPart =
    headerBlock([
      ['Content-Type', 'text/plain; charset=utf-8'],
      ['Content-Transfer-Encoding', 'base64'],
    ]) + CRLF + base64Lines(Buffer.from(intro.text.replace(/\r?\n/g, CRLF), 'utf8'));
  const html = `<!doctype html><html><head><meta charset="utf-8"></head><body>${intro.html}</body></html>`;
  const htmlPart =
    headerBlock([
      ['Content-Type', 'text/html; charset=utf-8'],
      ['Content-Transfer-Encoding', 'base64'],
    ]) + CRLF + base64Lines(Buffer.from(html, 'utf8'));
  return (
    headerBlock([
      ['Content-Type', `multipart/alternative; boundary="${b}"`],
      ['X-REM-Section-Type', 'Introduction'],
    ]) +
    CRLF +
    `--${b}${CRLF}${textPart}${CRLF}--${b}${CRLF}${htmlPart}${CRLF}--${b}--${CRLF}`
  );
}
