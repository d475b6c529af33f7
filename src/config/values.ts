// Field parsers shared by tunnel.conf and tunnels.conf: IPv4 addresses and tunnel IDs.
import { nonAsciiCharacter } from './lines.js';

/** Parses dotted-quad IPv4 ("10.10.10.11") into its 32-bit value; null when it is not one (no leading zeros). */
export function parseIPv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

export const MAX_TUNNEL_ID = 4294967295;

/**
 * A tunnel ID written as an IPv4 address ("10.10.10.11" = 168430091) or a number 1..4294967295.
 * Returns the number, or a reason it is not valid. 0 is reserved by L2TPv3 (RFC 3931: session ID 0 is reserved).
 */
export function parseTunnelId(text: string): number | string {
  if (text.includes('.')) {
    const value = parseIPv4(text);
    if (value === null) return `"${text}" is neither an IPv4 address nor a number`;
    if (value === 0) return `"${text}" reads as tunnel ID 0, which L2TPv3 reserves`;
    return value;
  }
  if (!/^[0-9]+$/.test(text)) return `"${text}" is neither an IPv4 address nor a number 1..${MAX_TUNNEL_ID}`;
  if (text.length > 10 || Number(text) > MAX_TUNNEL_ID) return `${text} is out of range 1..${MAX_TUNNEL_ID}`;
  if (Number(text) === 0) return `0 is out of range 1..${MAX_TUNNEL_ID} (L2TPv3 reserves 0)`;
  return Number(text);
}

/** "10.10.10.11(168430091)": how the vendor tooling shows a tunnel ID. */
export function describeTunnelId(id: number): string {
  return `${formatIPv4(id)}(${id})`;
}

/**
 * A tunnel end address: a dotted quad that is not unspecified, loopback, multicast or broadcast. Reports through
 * `fail` (with a hint when a look-alike character is the cause) and returns null when it is not one.
 */
export function checkAddress(text: string, field: string, fail: (field: string, reason: string) => void): string | null {
  const value = parseIPv4(text);
  if (value === null) {
    // A host name is a likely slip: ux-tunnel never resolves names (a tunnel end must not depend on DNS at boot).
    // A name's last label has a letter ("web1", "collector.example.com"); "1O.10.10.11" is a mistyped address.
    const hostName = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/.test(text) && /[A-Za-z][^.]*\.?$/.test(text);
    const reason = hostName
      ? `"${text}" is a host name: write its IPv4 address (host ${text}), or the NAT address if NAT is in between`
      : `"${text}" is not an IPv4 address (dotted quad such as 10.10.10.10)`;
    fail(field, withCharacterHint(text, reason));
    return null;
  }
  const first = value >>> 24;
  if (value === 0 || value === 0xffffffff || first === 0 || first === 127 || first >= 224) {
    fail(field, `${text} cannot be a tunnel end (unspecified, loopback, multicast or broadcast address)`);
    return null;
  }
  return formatIPv4(value);
}

export function withCharacterHint(text: string, reason: string): string {
  const odd = nonAsciiCharacter(text);
  return odd ? `${reason}; it contains the look-alike character ${odd}: retype it` : reason;
}
