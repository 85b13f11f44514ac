/**
 * The catalogue of submission refusals: one place that pairs each rule with its SMTP reply
 * (RFC 3463 enhanced code) and its ETSI reason code (kep-rem.md §8.4).
 */
import { SubmissionRejected, TemporaryFailure } from '../errors';
import { ReasonCode } from '../evidence/reasons';

const reject = (code: number, enhanced: string, reason: ReasonCode, text: string): SubmissionRejected =>
  new SubmissionRejected({ code, enhanced }, reason, text);

export const Rejections = {
  senderMismatch: (mailFrom: string, account: string) =>
    reject(553, '5.7.1', ReasonCode.PolicyViolation, `Sender <${mailFrom}> is not your KEP account <${account}>`),
  accountNotActive: (account: string, state: string) =>
    reject(550, '5.7.1', ReasonCode.PolicyViolation, `KEP account <${account}> is ${state} and cannot send`),
  receiveOnly: (account: string) =>
    reject(550, '5.7.1', ReasonCode.PolicyViolation, `KEP account <${account}> is receive-only and cannot send`),
  operatorNotAuthorised: (login: string, account: string) =>
    reject(550, '5.7.1', ReasonCode.PolicyViolation, `Operator ${login} is no longer authorised to act for KEP account <${account}>`),
  senderOverQuota: (used: number, limit: number) =>
    reject(552, '5.2.2', ReasonCode.PolicyViolation, `Your KEP mailbox is full (${used} of ${limit} bytes); delete messages to send again`),
  notKepAddress: (rcpt: string) =>
    reject(550, '5.7.1', ReasonCode.PolicyViolation, `<${rcpt}> is not a KEP address; KEP messages can only be sent to KEP addresses`),
  unknownLocalRecipient: (rcpt: string) =>
    reject(550, '5.1.1', ReasonCode.UnknownRecipient, `<${rcpt}>: no such KEP account`),
  recipientNotReceiving: (rcpt: string) =>
    reject(550, '5.2.1', ReasonCode.UnknownRecipient, `<${rcpt}>: this KEP account does not accept messages`),
  relayUnavailable: (rcpt: string, provider: string) =>
    new TemporaryFailure(
      { code: 451, enhanced: '4.4.0' },
      `<${rcpt}> is on another KEP provider (${provider}); relaying to other providers is not enabled on this server yet, nothing was accepted`,
    ),
  tooManyRecipients: (max: number) =>
    reject(452, '4.5.3', ReasonCode.PolicyViolation, `Too many recipients (at most ${max} per message)`),
  tooBig: (size: number, limit: number, relay: boolean) =>
    reject(
      552,
      '5.3.4',
      ReasonCode.PolicyViolation,
      relay
        ? `Message of ${size} bytes exceeds ${limit} bytes, the limit when a recipient is on another KEP provider`
        : `Message of ${size} bytes exceeds the ${limit} byte limit`,
    ),
  fromMismatch: (from: string, mailFrom: string) =>
    reject(550, '5.7.1', ReasonCode.PolicyViolation, `From: <${from}> must be the sender <${mailFrom}>`),
  malformed: (detail: string) => reject(550, '5.6.0', ReasonCode.InvalidMessageFormat, `Malformed message: ${detail}`),
  badIletiTip: (value: string) =>
    reject(550, '5.6.0', ReasonCode.InvalidMessageFormat, `X-TR-REM-iletiTip "${value}" is not one of standart, eYazisma, eTebligat`),
  wrongSigner: (detail: string) =>
    reject(550, '5.7.1', ReasonCode.InvalidUserSignature, `Message is not signed by the sender: ${detail}`),
  headerTooLarge: (max: number) =>
    reject(552, '5.3.4', ReasonCode.PolicyViolation, `The message header is larger than ${max} bytes`),
  tooManyHeaderFields: (count: number, max: number) =>
    reject(550, '5.6.0', ReasonCode.InvalidMessageFormat, `The message header has ${count} fields; at most ${max} are accepted`),
  lineTooLong: (lineNumber: number, length: number, max: number) =>
    reject(
      550,
      '5.6.0',
      ReasonCode.InvalidMessageFormat,
      `Line ${lineNumber} of the message is ${length} bytes long; lines may be at most ${max} bytes (RFC 5322 2.1.1)`,
    ),
  mimeTooDeep: (max: number) =>
    reject(550, '5.6.0', ReasonCode.InvalidMessageFormat, `MIME parts are nested more than ${max} levels deep`),
  tooManyMimeParts: (max: number) =>
    reject(550, '5.6.0', ReasonCode.InvalidMessageFormat, `The message has more than ${max} MIME parts`),
};
