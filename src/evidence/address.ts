/**
 * E-mail addresses in rem:AttributedElectronicAddress, an xs:anyURI with scheme mailto.
 * A few characters legal in an addr-spec make the value an invalid URI (`%` without two hex
 * digits, `[`, `]`, a second `#`, a leading `:`); these five are percent-encoded as a mailto
 * URI would have them (RFC 6068) and decoded again on parsing.
 */
const ENCODE: Readonly<Record<string, string>> = { '%': '%25', '#': '%23', '[': '%5B', ']': '%5D', ':': '%3A' };
const DECODE: Readonly<Record<string, string>> = { '25': '%', '23': '#', '5B': '[', '5D': ']', '3A': ':' };

export function encodeAddress(address: string): string {
  return address.replace(/[%#[\]:]/g, (c) => ENCODE[c] as string);
}

export function decodeAddress(value: string): string {
  return value.replace(/%(25|23|5B|5D|3A)/gi, (_m, hex: string) => DECODE[hex.toUpperCase()] as string);
}
