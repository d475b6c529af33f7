# Sends hand-made IPv4 TCP packets from the client namespace (raw socket): one with IP options (IHL 6) to port 80,
# one TCP segment to port 80 split into two IP fragments (the marker is in the second), and a control to port 8081.
import socket, struct, sys

src, dst = sys.argv[1], sys.argv[2]

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def tcp(sport, dport, seq, flags, payload):
    hdr = struct.pack('!HHIIBBHHH', sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(hdr) + len(payload))
    c = csum(pseudo + hdr + payload)
    return hdr[:16] + struct.pack('!H', c) + hdr[18:] + payload

def ip(payload, ident, opts=b'', frag=0):
    ihl = 5 + len(opts) // 4
    h = struct.pack('!BBHHHBBH4s4s', (4 << 4) | ihl, 0, ihl * 4 + len(payload), ident, frag, 64, 6, 0,
                    socket.inet_aton(src), socket.inet_aton(dst)) + opts
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + payload

s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(ip(tcp(40001, 80, 1000, 0x02, b'UXT-IPOPT-MARK'), 0x1111, b'\x01\x01\x01\x00'), (dst, 0))
seg = tcp(40002, 80, 2000, 0x18, b'A' * 44 + b'UXT-FRAG-MARK' + b'B' * 19)
s.sendto(ip(seg[:64], 0x2222, frag=0x2000), (dst, 0))
s.sendto(ip(seg[64:], 0x2222, frag=64 // 8), (dst, 0))
s.sendto(ip(tcp(40003, 8081, 3000, 0x02, b'UXT-NOT-MIRRORED'), 0x3333, b'\x01\x01\x01\x00'), (dst, 0))
