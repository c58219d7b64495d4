#!/usr/bin/env python3
"""Print COUNT distinct free TCP ports on 127.0.0.1, one per line.

The kernel picks them (bind to port 0). All sockets stay open until every
port is chosen, so the ports are distinct; they are closed before printing,
which leaves a small window in which another process could take one. The
callers start their servers right away and report a bind failure clearly.
"""
import socket
import sys


def free_ports(count: int) -> list:
    """COUNT distinct free ports (also imported by miss_callgrind.py and cpu_ab.py)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    print("\n".join(str(p) for p in free_ports(count)))


if __name__ == "__main__":
    main()
