"""A test DNS server: answers AAAA queries for the names given, NXDOMAIN
for the rest.

    dns.py ADDRESS PORT NAME=IPV6...
"""
import socket
import sys

addr, port = sys.argv[1], int(sys.argv[2])
names = dict(a.split("=", 1) for a in sys.argv[3:])
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
while True:
    q, peer = s.recvfrom(512)
    if len(q) < 12:
        continue
    i, labels = 12, []
    while i < len(q) and q[i] != 0:
        labels.append(q[i + 1:i + 1 + q[i]].decode().lower())
        i += 1 + q[i]
    qend = i + 5
    qtype = int.from_bytes(q[i + 1:i + 3], "big")
    name = ".".join(labels)
    answer = b""
    count = 0
    rcode = 0
    if name in names:
        if qtype == 28:
            rdata = socket.inet_pton(socket.AF_INET6, names[name])
            answer = b"\xc0\x0c" + (28).to_bytes(2, "big") + b"\x00\x01" \
                + (60).to_bytes(4, "big") + (16).to_bytes(2, "big") + rdata
            count = 1
    else:
        rcode = 3
    flags = 0x8180 | rcode
    r = q[:2] + flags.to_bytes(2, "big") + b"\x00\x01" + count.to_bytes(2, "big") \
        + b"\x00\x00\x00\x00" + q[12:qend] + answer
    s.sendto(r, peer)
