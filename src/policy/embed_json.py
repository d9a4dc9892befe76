#!/usr/bin/env python3
"""Embeds the default policy document in the library at build time.

usage: embed_json.py INPUT.json OUTPUT.c

Writes INPUT's bytes as a char array (not a string literal: C11 compilers
need only accept 4095-byte literals, and -pedantic says so), so the JSON
file stays the one copy of the default document. The JSON is checked here
only for being well formed; the library validates it fully, and its tests
load it.
"""
import json
import sys


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(src, "rb") as f:
        data = f.read()
    json.loads(data.decode("utf-8"))  # fail the build on a broken file
    if any(b > 0x7e or (b < 0x20 and b not in (0x0a, 0x0d, 0x09)) for b in data):
        # Bytes above 0x7f would not fit a signed char initializer cleanly.
        sys.exit("%s: keep the default document printable ASCII" % src)
    lines = []
    for i in range(0, len(data), 16):
        lines.append("    " + ", ".join("0x%02x" % b for b in data[i:i + 16]) + ",")
    with open(dst, "w", encoding="ascii") as f:
        f.write("/* Generated from default_policy.json by embed_json.py: do not edit. */\n")
        f.write('#include "policy/policy.h"\n\n')
        f.write("const char prv_policy_default_json[] = {\n")
        f.write("\n".join(lines))
        f.write("\n    0x00\n};\n")
        f.write("const size_t prv_policy_default_json_len = %d;\n" % len(data))


if __name__ == "__main__":
    main()
