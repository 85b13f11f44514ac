/**
 * Limits on the shape of a submitted original (line length, header size and field count, MIME
 * nesting and part count): measured while the bytes stream in, decided here. Pure.
 */
import type { KepdConfig } from '../config';
import type { SubmissionRejected } from '../errors';
import type { MessageShape } from '../mime/shape';
import { Rejections } from './rejections';

export type MessageLimits = Pick<
  KepdConfig['limits'],
  'max_line_bytes' | 'max_header_fields' | 'max_header_bytes' | 'max_mime_depth' | 'max_mime_parts'
>;

/** The first limit the message breaks, or undefined. Header problems come first: they are what a reader sees first. */
export function shapeRejection(shape: MessageShape, limits: MessageLimits): SubmissionRejected | undefined {
  if (shape.headerBytes > limits.max_header_bytes) return Rejections.headerTooLarge(limits.max_header_bytes);
  if (shape.headerFields > limits.max_header_fields) return Rejections.tooManyHeaderFields(shape.headerFields, limits.max_header_fields);
  if (shape.longestLine > limits.max_line_bytes) {
    return Rejections.lineTooLong(shape.longestLineNumber, shape.longestLine, limits.max_line_bytes);
  }
  if (shape.depth > limits.max_mime_depth) return Rejections.mimeTooDeep(limits.max_mime_depth);
  if (shape.parts > limits.max_mime_parts) return Rejections.tooManyMimeParts(limits.max_mime_parts);
  return undefined;
}
