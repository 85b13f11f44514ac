/**
 * What the pipeline needs to know from the top-level headers of a user's original message:
 * sender, subject, ids, the Turkish KEP headers (kep-rem.md §7.3). Refuses malformed input
 * with the InvalidMessageFormat reason.
 */
import addressparser from 'nodemailer/lib/addressparser';
import type { IletiTip } from '../store/types';
import { decodeHeaderValue, getHeader, getHeaders, MimeFormatError, scanEntity, type RangeSource } from '../mime';
import { Rejections } from '../policy/rejections';

export interface OriginalInfo {
  /** Lower-case address of the single From mailbox. */
  fromAddress?: string;
  subject: string;
  messageId?: string;
  to?: string;
  cc?: string;
  iletiTip: IletiTip;
  iletiId?: string;
}

const ILETI_TIPLERI: Record<string, IletiTip> = { standart: 'standart', eyazisma: 'eYazisma', etebligat: 'eTebligat' };

export async function inspectOriginal(src: RangeSource): Promise<OriginalInfo> {
  let headers;
  try {
    // Only the header matters here; the signature check scans the body.
    headers = (await scanEntity(src, { headerOnly: true })).headers;
  } catch (err) {
    if (err instanceof MimeFormatError) throw Rejections.malformed(err.message);
    throw err;
  }
  const fromRaw = getHeader(headers, 'from');
  if (!fromRaw) throw Rejections.malformed('no From header');
  // RFC 5322 3.6: exactly one From field. With two, a reader may show the one we did not check.
  if (getHeaders(headers, 'from').length > 1) throw Rejections.malformed('more than one From header');
  const from = addressparser(fromRaw, { flatten: true });
  if (from.length !== 1 || !from[0]?.address) throw Rejections.malformed('From must name exactly one mailbox');
  const tipRaw = getHeader(headers, 'x-tr-rem-iletitip');
  let iletiTip: IletiTip = 'standart';
  if (tipRaw !== undefined) {
    const tip = ILETI_TIPLERI[tipRaw.trim().toLowerCase()];
    if (!tip) throw Rejections.badIletiTip(tipRaw.trim());
    iletiTip = tip;
  }
  const iletiId = getHeader(headers, 'x-tr-rem-iletiid')?.trim();
  const messageId = getHeader(headers, 'message-id')?.trim();
  return {
    fromAddress: from[0].address.toLowerCase(),
    subject: decodeHeaderValue(getHeader(headers, 'subject') ?? ''),
    messageId: messageId || undefined,
    to: getHeader(headers, 'to'),
    cc: getHeader(headers, 'cc'),
    iletiTip,
    iletiId: iletiId || undefined,
  };
}
