/** Byte-exact MIME scanning over random-access sources. */
export type { ByteRange, RangeSource, HeaderField, ContentType, PartRange, ScannedEntity } from './types';
export { bufferSource, fileSource, subSource, hashRange, rangeChunks } from './sources';
export { parseHeaderBlock, getHeader, getHeaders, decodeHeaderValue } from './headers';
export { parseContentType, DEFAULT_CONTENT_TYPE } from './content-type';
export { scanEntity, type ScanOptions } from './scan-entity';
export { BoundaryScanner } from './boundary-scanner';
export { MimeFormatError } from './errors';
export { MimeShapeMeter, type MessageShape, type ShapeMeterOptions } from './shape';
