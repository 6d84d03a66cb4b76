#!/usr/bin/env python3
"""SIP over TCP that a firewall resets: `server ADDR PORT` answers OPTIONS with 200 and reports
how its connection ended; `client ADDR PORT` sends an allowed OPTIONS, then an INVITE to a
premium number (sip:900...), and reports how its connection ended. Each prints one of
RESET / EOF / TIMEOUT as its last line."""
import socket
import sys


def req(method, uri, cseq):
    return (f"{method} {uri} SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.10:49300;branch=z9hG4bK{cseq}\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:1000@192.0.2.10>;tag=a1\r\nTo: <{uri}>\r\n"
            f"Call-ID: rst-{cseq}@lab\r\nCSeq: {cseq} {method}\r\n"
            f"Contact: <sip:1000@192.0.2.10:49300;transport=tcp>\r\nContent-Length: 0\r\n\r\n").encode()


def server(addr, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    s.settimeout(20)
    c, _ = s.accept()
    c.settimeout(10)
    try:
        while True:
            d = c.recv(4096)
            if not d:
                print("EOF")
                return
            if d.startswith(b"OPTIONS"):
                c.sendall(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 192.0.2.10:49300;branch=z9hG4bK1\r\n"
                          b"From: <sip:1000@192.0.2.10>;tag=a1\r\nTo: <sip:2000@198.51.100.20>;tag=b1\r\n"
                          b"Call-ID: rst-1@lab\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
    except ConnectionResetError:
        print("RESET")
    except socket.timeout:
        print("TIMEOUT")


def client(addr, port):
    c = socket.create_connection((addr, port), timeout=10)
    c.sendall(req("OPTIONS", f"sip:2000@{addr}", 1))
    first = c.recv(4096).split(b"\r\n")[0]
    print("answer:", first.decode(errors="replace"))
    c.sendall(req("INVITE", f"sip:900123@{addr}", 2))
    try:
        d = c.recv(4096)
        print("EOF" if not d else "DATA")
    except ConnectionResetError:
        print("RESET")
    except socket.timeout:
        print("TIMEOUT")


if __name__ == "__main__":
    {"server": server, "client": client}[sys.argv[1]](sys.argv[2], int(sys.argv[3]))
