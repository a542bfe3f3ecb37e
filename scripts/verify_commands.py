#!/usr/bin/env python3
"""Verify homeostat command signatures (docs/signing.md) with the Python standard library only.

Usage: python3 scripts/verify_commands.py conformance/commands.jsonl
Checks every vector: rebuilds the signed text from the command, compares it with the
vector's signedText, verifies the Ed25519 signature (RFC 8032, pure Python over
hashlib.sha512) and compares the verdict with the expected one. Exit 0 when all agree.
"""
import base64
import binascii
import hashlib
import json
import re
import sys

CONTEXT = "homeostat-command-v2\n"

# ---- Ed25519 verification, RFC 8032 section 6 (reference code, cofactorless) ----
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def _add(a, b):
    pa = (a[1] - a[0]) * (b[1] - b[0]) % P
    pb = (a[1] + a[0]) * (b[1] + b[0]) % P
    pc = 2 * a[3] * b[3] * D % P
    pd = 2 * a[2] * b[2] % P
    e, f, g, h = pb - pa, pd - pc, pd + pc, pb + pa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s, pt):
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = _add(q, pt)
        pt = _add(pt, pt)
        s >>= 1
    return q


def _equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def _decompress(s):
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


_GY = 4 * pow(5, P - 2, P) % P
_GX = _recover_x(_GY, 0)
BASE = (_GX, _GY, 1, _GX * _GY % P)


def ed25519_verify(public, message, signature):
    if len(public) != 32 or len(signature) != 64:
        return False
    a = _decompress(public)
    r = _decompress(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % L
    return _equal(_mul(s, BASE), _add(r, _mul(h, a)))


# ---- Canonical JSON (RFC 8785 as docs/signing.md states it) ----
def es_number(x):
    """ECMAScript Number::toString for a finite double (RFC 8785 section 3.2.2.3)."""
    x = float(x)
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError("non-finite number")
    if x == 0:
        return "0"
    if x < 0:
        return "-" + es_number(-x)
    mant, _, exp = repr(x).partition("e")
    ip, _, fp = mant.partition(".")
    all_digits = ip + fp
    digits = all_digits.lstrip("0")
    stripped = digits.rstrip("0")
    k = len(stripped)
    n = int(exp or 0) - len(fp) + (len(digits) - k) + k
    if k <= n <= 21:
        return stripped + "0" * (n - k)
    if 0 < n <= 21:
        return stripped[:n] + "." + stripped[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + stripped
    e = n - 1
    exp_text = ("+" if e >= 0 else "-") + str(abs(e))
    return (stripped if k == 1 else stripped[0] + "." + stripped[1:]) + "e" + exp_text


_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def es_string(s):
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch in _SHORT:
            out.append(_SHORT[ch])
        elif c < 0x20 or 0xD800 <= c <= 0xDFFF:
            out.append("\\u%04x" % c)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def canonical(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return es_number(v)
    if isinstance(v, str):
        return es_string(v)
    if isinstance(v, list):
        return "[" + ",".join(canonical(i) for i in v) + "]"
    keys = sorted(v.keys(), key=lambda k: k.encode("utf-16-be", "surrogatepass"))
    return "{" + ",".join(es_string(k) + ":" + canonical(v[k]) for k in keys) + "}"


def signed_text(command):
    return CONTEXT + canonical({k: v for k, v in command.items() if k != "signature"})


SIG_RE = re.compile(r"^[A-Za-z0-9+/]{86}==$")


def parse_public_key(text):
    if text.startswith("base64:"):
        raw = base64.b64decode(text[7:], validate=True)
    elif text.startswith("hex:"):
        raw = binascii.unhexlify(text[4:])
    else:
        raise ValueError("public key must be base64:<32 bytes> or hex:<64 digits>")
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return raw


def verify_command(command, keyring):
    """(verdict, reason, text): the verdict an executor reaches on the signature alone."""
    sig, key_id = command.get("signature"), command.get("keyId")
    if not isinstance(sig, str) or sig == "" or not isinstance(key_id, str) or key_id == "":
        return "invalid", "unsigned", None
    if key_id not in keyring:
        return "invalid", "unknown-key", None
    try:
        text = signed_text(command)
    except ValueError:
        return "invalid", "malformed", None
    if not SIG_RE.match(sig):
        return "invalid", "bad-signature", text
    ok = ed25519_verify(keyring[key_id], text.encode("utf-8", "surrogatepass"), base64.b64decode(sig))
    return ("valid", "ok", text) if ok else ("invalid", "bad-signature", text)


def main(path):
    failures = 0
    count = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            count += 1
            v = json.loads(line)
            keyring = {k: parse_public_key(t) for k, t in v["publicKeys"].items()}
            verdict, reason, text = verify_command(v["command"], keyring)
            exp = v["expected"]
            problems = []
            if (verdict, reason) != (exp["verdict"], exp["reason"]):
                problems.append("verdict %s/%s, expected %s/%s" % (verdict, reason, exp["verdict"], exp["reason"]))
            if text is not None and v.get("signedText") is not None and text != v["signedText"]:
                problems.append("signed text differs:\n  got      %r\n  expected %r" % (text, v["signedText"]))
            status = "ok  " if not problems else "FAIL"
            print("%s %s" % (status, v["name"]))
            for p in problems:
                print("     " + p)
            failures += 1 if problems else 0
    print("%d vectors, %d disagree" % (count, failures))
    return 1 if failures or count == 0 else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: python3 scripts/verify_commands.py conformance/commands.jsonl\n")
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
