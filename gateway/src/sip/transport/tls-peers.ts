// Trusted TLS peers: the gateway accepts a TLS connection only from a peer whose certificate
// subject CN or a DNS/IP subjectAltName matches a configured name (docs/msrcc.md §2;
// Cisco's CTI gateway does the same with its "TLS peer subjects"). Pure functions, so the
// rule is testable without sockets.
import type { PeerCertificate } from 'node:tls';

/** The names a certificate vouches for: subject CN, then each DNS and IP subjectAltName. */
export function certificateNames(cert: PeerCertificate | Record<string, never> | undefined): string[] {
  if (cert === undefined || !('subject' in cert)) return [];
  const names: string[] = [];
  // Node types CN as a string, but a subject with several CNs yields an array at run time.
  const cn: unknown = cert.subject?.CN;
  if (typeof cn === 'string') names.push(cn);
  else if (Array.isArray(cn)) for (const one of cn) if (typeof one === 'string') names.push(one);
  const san = typeof cert.subjectaltname === 'string' ? cert.subjectaltname : '';
  for (const entry of san.split(',')) {
    const trimmed = entry.trim();
    if (trimmed.startsWith('DNS:')) names.push(trimmed.slice(4));
    else if (trimmed.startsWith('IP Address:')) names.push(trimmed.slice(11));
  }
  return names;
}

/**
 * True if one of `names` matches a trusted entry. Comparison is case-insensitive (DNS names,
 * RFC 4343); an entry "*.example.com" matches exactly one leftmost label (RFC 6125 §6.4.3).
 */
export function isTrustedPeer(names: readonly string[], trusted: readonly string[]): boolean {
  for (const rawName of names) {
    const name = rawName.toLowerCase();
    for (const rawEntry of trusted) {
      const entry = rawEntry.toLowerCase();
      if (entry === name) return true;
      if (entry.startsWith('*.')) {
        const dot = name.indexOf('.');
        if (dot > 0 && name.slice(dot) === entry.slice(1)) return true;
      }
    }
  }
  return false;
}
