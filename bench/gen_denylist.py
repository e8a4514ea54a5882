#!/usr/bin/python3
"""Writes RESP commands that load N revoked tokens, for redis-cli --pipe.

  gen_denylist.py latchkey N   DENY.ADD bench j<12 digits> <exp>
  gen_denylist.py redis N      SET revoked:bench:j<12 digits> 1 EXAT <exp>

jti numbers are 0..N-1, zero-padded to 12 digits as redis-benchmark's __rand_int__ writes them, so a
benchmark with -r 2N hits half the time. exp is spread over the next day, as real tokens' are.
"""
import sys
import time


def main():
    kind, n = sys.argv[1], int(sys.argv[2])
    now = int(time.time())
    out = sys.stdout.buffer
    chunk = []
    for i in range(n):
        jti = b"j%012d" % i
        exp = b"%d" % (now + 3600 + i % 86400)
        if kind == "latchkey":
            chunk.append(b"*4\r\n$8\r\nDENY.ADD\r\n$5\r\nbench\r\n$13\r\n%s\r\n$%d\r\n%s\r\n" % (jti, len(exp), exp))
        else:
            key = b"revoked:bench:" + jti
            chunk.append(b"*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\n1\r\n$4\r\nEXAT\r\n$%d\r\n%s\r\n"
                         % (len(key), key, len(exp), exp))
        if len(chunk) == 10000:
            out.write(b"".join(chunk))
            chunk.clear()
    out.write(b"".join(chunk))


main()
