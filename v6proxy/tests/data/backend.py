"""A test backend on an IPv6-only machine: plain HTTP and HTTPS that answer
every request with who connected, after an optional PROXY protocol header
(v1 or v2).

    backend.py HTTP_PORT TLS_PORT CERT KEY

The body is `site=<Host> tls=<yes|no> peer=<address> proxy=<address or ->`.
"""
import socket
import ssl
import sys
import threading
import time

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def peek(conn, n):
    """Up to n bytes without consuming them, waiting up to 2 s for them."""
    end = time.time() + 2
    data = b""
    while time.time() < end:
        data = conn.recv(n, socket.MSG_PEEK)
        if len(data) >= n or not data:
            return data
        if not (SIG.startswith(data[:12]) or b"PROXY ".startswith(data[:6])):
            return data
        time.sleep(0.01)
    return data


def read_proxy(conn):
    head = peek(conn, 16)
    if head.startswith(SIG) and len(head) >= 16:
        length = int.from_bytes(head[14:16], "big")
        data = b""
        while len(data) < 16 + length:
            data += conn.recv(16 + length - len(data))
        fam = data[13]
        if fam == 0x11:
            return socket.inet_ntop(socket.AF_INET, data[16:20])
        if fam == 0x21:
            return socket.inet_ntop(socket.AF_INET6, data[16:32])
        return "local"
    if head.startswith(b"PROXY "):
        line = peek(conn, 108)
        end = line.index(b"\r\n") + 2
        data = b""
        while len(data) < end:
            data += conn.recv(end - len(data))
        return data.split()[2].decode()
    return "-"


def serve(conn, peer, ctx):
    try:
        conn.settimeout(10)
        proxy = read_proxy(conn)
        if ctx is not None:
            conn = ctx.wrap_socket(conn, server_side=True)
        while True:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                head += chunk
            host = "-"
            for line in head.split(b"\r\n")[1:]:
                if line.lower().startswith(b"host:"):
                    host = line[5:].strip().decode()
            target = head.split(b" ")[1].decode()
            if target.startswith("/bulk/"):
                n = int(target[6:])
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % n)
                block = b"x" * 65536
                while n > 0:
                    conn.sendall(block[: min(n, len(block))])
                    n -= min(n, len(block))
                continue
            body = "site=%s tls=%s peer=%s proxy=%s\n" % (
                host, "yes" if ctx else "no", peer, proxy)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                         % (len(body), body.encode()))
    except (OSError, ValueError):
        pass
    finally:
        conn.close()


def listen(port, ctx):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    s.listen(128)
    while True:
        conn, addr = s.accept()
        threading.Thread(target=serve, args=(conn, addr[0], ctx), daemon=True).start()


def main():
    http_port, tls_port, cert, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    threading.Thread(target=listen, args=(http_port, None), daemon=True).start()
    listen(tls_port, ctx)


main()
