#!/usr/bin/python3
"""Reference implementation of the libprivacy field envelope (docs/envelope.md).

An implementation independent of src/crypto/envelope.c, written from the
document: the layout, associated data, commitment and padding are coded
here again; BLAKE2b is Python's hashlib; XChaCha20-Poly1305 is PyNaCl
(Debian package python3-nacl) and, to not trust one library alone, a
pure-Python XChaCha20-Poly1305 (RFC 8439, draft-irtf-cfrg-xchacha) that
must agree with it on every call. The pure-Python cipher also builds the
two-key vector: one ciphertext and tag that XChaCha20-Poly1305 accepts
under two different keys, which only the key commitment tells apart.

usage: envelope_ref.py generate > envelope.json
       envelope_ref.py check envelope.json   (the file must be exactly what
                                              generate writes, and every case
                                              must give its recorded result)

Standard library + python3-nacl only; run it with Debian's /usr/bin/python3.
"""

import hashlib
import json
import struct
import sys

try:
    from nacl import bindings as nacl
    from nacl.exceptions import CryptoError
except ImportError:
    sys.exit("envelope_ref.py: needs PyNaCl: apt-get install python3-nacl "
             "and run with /usr/bin/python3")

FORMAT = 1
SUITE = 1
FLAG_PADDED = 1
HEADER = 31
COMMIT = 32
TAG = 16
OVERHEAD = HEADER + COMMIT + TAG
VALUE_MAX = 65536
PAD_MAX = 4096
NAME_MAX = 255
COMMIT_LABEL = b"libprivacy/field-envelope/commit/v1"

# ---- pure-Python XChaCha20-Poly1305 (RFC 8439 2.3, 2.5, 2.8; XChaCha draft 2.2) ----

P1305 = (1 << 130) - 5
MASK32 = 0xFFFFFFFF


def _rotl(v, n):
    return ((v << n) & MASK32) | (v >> (32 - n))


def _rounds(state):
    x = list(state)

    def qr(a, b, c, d):
        x[a] = (x[a] + x[b]) & MASK32
        x[d] = _rotl(x[d] ^ x[a], 16)
        x[c] = (x[c] + x[d]) & MASK32
        x[b] = _rotl(x[b] ^ x[c], 12)
        x[a] = (x[a] + x[b]) & MASK32
        x[d] = _rotl(x[d] ^ x[a], 8)
        x[c] = (x[c] + x[d]) & MASK32
        x[b] = _rotl(x[b] ^ x[c], 7)

    for _ in range(10):
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
    return x


def _state(key, counter_and_nonce):
    return [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574] + \
        list(struct.unpack("<8I", key)) + list(counter_and_nonce)


def hchacha20(key, nonce16):
    x = _rounds(_state(key, struct.unpack("<4I", nonce16)))
    return struct.pack("<8I", *(x[0:4] + x[12:16]))


def chacha20_block(key, counter, nonce12):
    s = _state(key, (counter,) + struct.unpack("<3I", nonce12))
    x = _rounds(s)
    return struct.pack("<16I", *[(a + b) & MASK32 for a, b in zip(x, s)])


def chacha20_xor(key, counter, nonce12, data):
    out = bytearray()
    for i in range(0, len(data), 64):
        ks = chacha20_block(key, counter + i // 64, nonce12)
        out += bytes(a ^ b for a, b in zip(data[i:i + 64], ks))
    return bytes(out)


def _le(b):
    return int.from_bytes(b, "little")


def poly_key(key, nonce24):
    """(r, s) of the XChaCha20-Poly1305 one-time key for (key, nonce)."""
    sub = hchacha20(key, nonce24[:16])
    otk = chacha20_block(sub, 0, b"\0\0\0\0" + nonce24[16:])[:32]
    r = _le(otk[:16]) & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    return r, _le(otk[16:])


def mac_blocks(ad, ct):
    """Poly1305 message blocks of the AEAD, as integers with the 2^128 bit."""
    def padded(b):
        return b + b"\0" * (-len(b) % 16)
    data = padded(ad) + padded(ct) + struct.pack("<QQ", len(ad), len(ct))
    return [_le(data[i:i + 16]) + (1 << 128) for i in range(0, len(data), 16)]


def poly1305(r, s, blocks):
    h = 0
    for m in blocks:
        h = (h + m) * r % P1305
    return ((h + s) % (1 << 128)).to_bytes(16, "little")


def py_aead_encrypt(key, nonce24, ad, pt):
    sub = hchacha20(key, nonce24[:16])
    n12 = b"\0\0\0\0" + nonce24[16:]
    ct = chacha20_xor(sub, 1, n12, pt)
    r, s = poly_key(key, nonce24)
    return ct + poly1305(r, s, mac_blocks(ad, ct))


def aead_encrypt(key, nonce24, ad, pt):
    out = nacl.crypto_aead_xchacha20poly1305_ietf_encrypt(pt, ad, nonce24, key)
    if out != py_aead_encrypt(key, nonce24, ad, pt):
        sys.exit("envelope_ref.py: PyNaCl and the pure-Python cipher disagree")
    return out


def aead_decrypt(key, nonce24, ad, ct_tag):
    """The plaintext, or None if it does not authenticate (both ciphers agree)."""
    try:
        pt = nacl.crypto_aead_xchacha20poly1305_ietf_decrypt(ct_tag, ad, nonce24, key)
    except CryptoError:
        pt = None
    ours = None
    if len(ct_tag) >= TAG:
        ct, tag = ct_tag[:-TAG], ct_tag[-TAG:]
        r, s = poly_key(key, nonce24)
        if poly1305(r, s, mac_blocks(ad, ct)) == tag:
            sub = hchacha20(key, nonce24[:16])
            ours = chacha20_xor(sub, 1, b"\0\0\0\0" + nonce24[16:], ct)
    if pt != ours:
        sys.exit("envelope_ref.py: PyNaCl and the pure-Python cipher disagree on a decrypt")
    return pt

# ---- the envelope ----


def commitment(key, nonce):
    return hashlib.blake2b(COMMIT_LABEL + nonce, digest_size=32, key=key).digest()


def header(version, nonce, flags):
    return bytes([FORMAT, SUITE, flags]) + struct.pack(">I", version) + nonce


def encode_ad(hdr, binding):
    out = bytearray(hdr)
    for piece in (binding["subject_id"], binding["collection"], binding["record_id"],
                  binding["field"]):
        b = piece.encode("utf-8")
        assert 1 <= len(b) <= NAME_MAX
        out += struct.pack(">Q", len(b)) + b
    return bytes(out)


def pad(pt, block):
    """ISO/IEC 7816-4: 0x80, then zeros up to a multiple of block (1..block added)."""
    return pt + b"\x80" + b"\0" * (block - 1 - len(pt) % block)


def unpad(p):
    """The value before the padding, or None if the padding is malformed."""
    i = len(p)
    while i > 0 and p[i - 1] == 0:
        i -= 1
    if i == 0 or p[i - 1] != 0x80:
        return None
    return p[:i - 1]


def seal(key, version, binding, nonce, pt, pad_block):
    assert len(pt) <= VALUE_MAX and 0 <= pad_block <= PAD_MAX
    hdr = header(version, nonce, FLAG_PADDED if pad_block else 0)
    m = pad(pt, pad_block) if pad_block else pt
    return hdr + commitment(key, nonce) + aead_encrypt(key, nonce, encode_ad(hdr, binding), m)


def open_blob(key, expect_version, binding, blob):
    """(plaintext, None) or (None, the kind of failure), checked in the
    order of docs/envelope.md."""
    if len(blob) < OVERHEAD:
        return None, "truncated"
    if blob[0] != FORMAT:
        return None, "format"
    if blob[1] != SUITE:
        return None, "suite"
    flags = blob[2]
    if flags & ~FLAG_PADDED:
        return None, "flags"
    ct_len = len(blob) - OVERHEAD
    if ct_len > VALUE_MAX + (PAD_MAX if flags else 0):
        return None, "too_long"
    if struct.unpack(">I", blob[3:7])[0] != expect_version:
        return None, "version"
    nonce = blob[7:HEADER]
    if not hashlib.blake2b(COMMIT_LABEL + nonce, digest_size=32, key=key).digest() == \
            blob[HEADER:HEADER + COMMIT]:
        return None, "commitment"
    m = aead_decrypt(key, nonce, encode_ad(blob[:HEADER], binding), blob[HEADER + COMMIT:])
    if m is None:
        return None, "authentication"
    if flags:
        m = unpad(m)
        if m is None or len(m) > VALUE_MAX:
            return None, "padding"
    return m, None

# ---- the vectors ----


KEY_A = bytes(range(32))
KEY_B = bytes(range(0x80, 0xA0))
BINDING = {"subject_id": "sub_00112233445566778899aabbccddeeff", "collection": "subject_fields",
           "record_id": "fld_0123456789abcdef0123456789abcdef", "field": "contact.email"}


def nonce_for(name):
    return hashlib.blake2b(b"envelope vector nonce: " + name.encode(), digest_size=24).digest()


def with_binding(case, binding):
    case.update({k: binding[k] for k in ("subject_id", "collection", "record_id", "field")})
    return case


def seal_cases():
    long_binding = {"subject_id": "s" * NAME_MAX, "collection": "c" * NAME_MAX,
                    "record_id": "r" * NAME_MAX, "field": "f" * NAME_MAX}
    specs = [
        ("empty value", 1, BINDING, b"", 0),
        ("one byte", 1, BINDING, b"x", 0),
        ("email", 1, BINDING, b"alice@example.com", 0),
        ("non-ASCII UTF-8 address", 7, dict(BINDING, field="contact.shipping_address"),
         "Zoë Åström, Straße 5, 東京都 🏠".encode("utf-8"), 0),
        ("email padded to 32", 1, BINDING, b"alice@example.com", 32),
        ("16 bytes padded to 16 (a whole block of padding)", 2, BINDING, b"0123456789abcdef", 16),
        ("empty value padded to 1", 3, BINDING, b"", 1),
        ("300 bytes, version 0xfedcba98", 0xFEDCBA98, BINDING,
         bytes((i * 7 + 3) % 256 for i in range(300)), 0),
        ("binding names of 255 bytes", 1, long_binding, b"long names", 0),
    ]
    cases = []
    for name, version, binding, pt, pad_block in specs:
        nonce = nonce_for(name)
        flags = FLAG_PADDED if pad_block else 0
        blob = seal(KEY_A, version, binding, nonce, pt, pad_block)
        cases.append(with_binding({
            "name": name, "key": KEY_A.hex(), "dek_version": version, "nonce": nonce.hex(),
            "pad_block": pad_block, "plaintext": pt.hex(),
            "ad": encode_ad(header(version, nonce, flags), binding).hex(),
            "commitment": commitment(KEY_A, nonce).hex(), "blob": blob.hex()}, binding))
    return cases


def flip(blob, i, mask=0x01):
    b = bytearray(blob)
    b[i] ^= mask
    return bytes(b)


def raw_blob(key, version, binding, nonce, flags, m):
    """A blob made below the envelope: any flags and plaintext bytes."""
    hdr = header(version, nonce, flags)
    return hdr + commitment(key, nonce) + aead_encrypt(key, nonce, encode_ad(hdr, binding), m)


def open_cases(seals):
    email = bytes.fromhex(seals[2]["blob"])
    padded = bytes.fromhex(seals[4]["blob"])
    n = len(email)
    other = dict(BINDING)
    specs = [
        ("email opens", email, KEY_A, 1, BINDING),
        ("padded email opens", padded, KEY_A, 1, BINDING),
        ("format byte flipped", flip(email, 0), KEY_A, 1, BINDING),
        ("unknown format 2", bytes([2]) + email[1:], KEY_A, 1, BINDING),
        ("suite byte flipped", flip(email, 1), KEY_A, 1, BINDING),
        ("unknown suite 2", email[:1] + bytes([2]) + email[2:], KEY_A, 1, BINDING),
        ("unknown flag bit", flip(email, 2, 0x02), KEY_A, 1, BINDING),
        ("padded flag set on an unpadded blob", flip(email, 2), KEY_A, 1, BINDING),
        ("padded flag cleared on a padded blob", flip(padded, 2), KEY_A, 1, BINDING),
        ("version byte flipped", flip(email, 3), KEY_A, 1, BINDING),
        ("version low byte flipped", flip(email, 6), KEY_A, 1, BINDING),
        ("nonce first byte flipped", flip(email, 7), KEY_A, 1, BINDING),
        ("nonce last byte flipped", flip(email, HEADER - 1), KEY_A, 1, BINDING),
        ("commitment first byte flipped", flip(email, HEADER), KEY_A, 1, BINDING),
        ("commitment last byte flipped", flip(email, HEADER + COMMIT - 1, 0x80), KEY_A, 1,
         BINDING),
        ("ciphertext first byte flipped", flip(email, HEADER + COMMIT), KEY_A, 1, BINDING),
        ("ciphertext last byte flipped", flip(email, n - TAG - 1), KEY_A, 1, BINDING),
        ("tag first byte flipped", flip(email, n - TAG), KEY_A, 1, BINDING),
        ("tag last byte flipped", flip(email, n - 1, 0x80), KEY_A, 1, BINDING),
        ("truncated to nothing", b"", KEY_A, 1, BINDING),
        ("truncated to the header", email[:HEADER], KEY_A, 1, BINDING),
        ("truncated one byte short of the smallest envelope", email[:OVERHEAD - 1], KEY_A, 1,
         BINDING),
        ("truncated to the smallest envelope", email[:OVERHEAD], KEY_A, 1, BINDING),
        ("last byte dropped", email[:-1], KEY_A, 1, BINDING),
        ("a byte appended", email + b"\0", KEY_A, 1, BINDING),
        ("wrong key", email, KEY_B, 1, BINDING),
        ("expected version 2", email, KEY_A, 2, BINDING),
        ("moved to another subject", email, KEY_A, 1,
         dict(other, subject_id="sub_ffeeddccbbaa99887766554433221100")),
        ("moved to another collection", email, KEY_A, 1, dict(other, collection="order_fields")),
        ("moved to another record", email, KEY_A, 1,
         dict(other, record_id="fld_fedcba9876543210fedcba9876543210")),
        ("moved to another field", email, KEY_A, 1, dict(other, field="contact.phone")),
        ("binding boundaries shifted", email, KEY_A, 1,
         dict(other, subject_id=BINDING["subject_id"] + "s",
              collection=BINDING["collection"][1:])),
    ]
    bad_pad = [("padding without its 0x80 byte", b"abc\0\0"), ("padding all zeros", b"\0" * 8),
               ("padded blob with no plaintext at all", b"")]
    for name, m in bad_pad:
        specs.append((name, raw_blob(KEY_A, 1, BINDING, nonce_for(name), FLAG_PADDED, m), KEY_A,
                      1, BINDING))
    cases = []
    for name, blob, key, version, binding in specs:
        pt, kind = open_blob(key, version, binding, blob)
        case = with_binding({"name": name, "key": key.hex(), "expect_version": version,
                             "blob": blob.hex(), "result": kind or "ok"}, binding)
        if pt is not None:
            case["plaintext"] = pt.hex()
        cases.append(case)
    return cases


def two_key_case():
    """A ciphertext and tag that XChaCha20-Poly1305 accepts under KEY_A and
    KEY_B alike: one free ciphertext block is solved for modulo 2^130 - 5 so
    that both Poly1305 tags agree. The envelope carries one key's commitment,
    so it opens under that key only."""
    name = "two-key ciphertext"
    nonce = nonce_for(name)
    hdr = header(1, nonce, 0)
    ad = encode_ad(hdr, BINDING)
    ra, sa = poly_key(KEY_A, nonce)
    rb, sb = poly_key(KEY_B, nonce)
    for attempt in range(1000):
        fixed = hashlib.blake2b(b"two-key fixed block %d" % attempt, digest_size=16).digest()
        blocks = mac_blocks(ad, fixed + b"\0" * 16)
        free = len(mac_blocks(ad, b""))        # the second ciphertext block
        blocks[free] = 0                       # its term is added below
        e = len(blocks) - free                 # its power of r

        def h(r):
            acc = 0
            for m in blocks:
                acc = (acc + m) * r % P1305
            return acc
        # h_a(x) - h_b(x) = F + (x + 2^128) (ra^e - rb^e) must equal sb - sa.
        f = (h(ra) - h(rb)) % P1305
        d = (pow(ra, e, P1305) - pow(rb, e, P1305)) % P1305
        target = (sb - sa) % (1 << 128)
        x = ((target - f) * pow(d, -1, P1305) - (1 << 128)) % P1305
        if x >= 1 << 128:
            continue
        ct = fixed + x.to_bytes(16, "little")
        blocks = mac_blocks(ad, ct)
        tag = poly1305(ra, sa, blocks)
        if tag != poly1305(rb, sb, blocks):
            continue
        pa = aead_decrypt(KEY_A, nonce, ad, ct + tag)
        pb = aead_decrypt(KEY_B, nonce, ad, ct + tag)
        assert pa is not None and pb is not None and pa != pb
        return with_binding({
            "name": name, "key_a": KEY_A.hex(), "key_b": KEY_B.hex(), "dek_version": 1,
            "ad": ad.hex(), "aead": (ct + tag).hex(),
            "blob_a": (hdr + commitment(KEY_A, nonce) + ct + tag).hex(),
            "blob_b": (hdr + commitment(KEY_B, nonce) + ct + tag).hex(),
            "plaintext_a": pa.hex(), "plaintext_b": pb.hex()}, BINDING)
    sys.exit("envelope_ref.py: no two-key ciphertext found")


def generate():
    seals = seal_cases()
    return {
        "description": "libprivacy field envelope, format 1 suite 1 (docs/envelope.md): "
                       "seal = exact bytes from a fixed key, nonce, binding and value; "
                       "open = the result of opening, 'ok' or the failed check; two_key = "
                       "one AEAD ciphertext valid under two keys, told apart by the "
                       "commitment. Generated by tests/vectors/envelope_ref.py; do not edit.",
        "commit_label": COMMIT_LABEL.decode(),
        "seal": seals,
        "open": open_cases(seals),
        "two_key": two_key_case(),
    }


def dump(doc):
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def binding_of(case):
    return {k: case[k] for k in ("subject_id", "collection", "record_id", "field")}


def check(path):
    """Re-checks every case against this implementation, then the whole file
    against what generate writes."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    doc = json.loads(text)
    fails = []
    for c in doc["seal"]:
        key, pt = bytes.fromhex(c["key"]), bytes.fromhex(c["plaintext"])
        blob = seal(key, c["dek_version"], binding_of(c), bytes.fromhex(c["nonce"]), pt,
                    c["pad_block"])
        if blob.hex() != c["blob"]:
            fails.append("seal '%s': different bytes" % c["name"])
        if open_blob(key, c["dek_version"], binding_of(c), blob) != (pt, None):
            fails.append("seal '%s': does not open to its value" % c["name"])
    for c in doc["open"]:
        pt, kind = open_blob(bytes.fromhex(c["key"]), c["expect_version"], binding_of(c),
                             bytes.fromhex(c["blob"]))
        if (kind or "ok") != c["result"] or (pt is not None and pt.hex() != c["plaintext"]):
            fails.append("open '%s': %s, expected %s" % (c["name"], kind or "ok", c["result"]))
    t = doc["two_key"]
    ka, kb = bytes.fromhex(t["key_a"]), bytes.fromhex(t["key_b"])
    nonce = bytes.fromhex(t["blob_a"])[7:HEADER]
    for key in (ka, kb):
        if aead_decrypt(key, nonce, bytes.fromhex(t["ad"]), bytes.fromhex(t["aead"])) is None:
            fails.append("two_key: the AEAD part does not authenticate under both keys")
    b = binding_of(t)
    want = [(ka, "blob_a", "ok"), (kb, "blob_b", "ok"), (kb, "blob_a", "commitment"),
            (ka, "blob_b", "commitment")]
    for key, which, result in want:
        if (open_blob(key, 1, b, bytes.fromhex(t[which]))[1] or "ok") != result:
            fails.append("two_key: %s does not give %s" % (which, result))
    too_long = header(1, bytes(24), 0) + bytes(COMMIT + VALUE_MAX + 1 + TAG)
    if open_blob(KEY_A, 1, BINDING, too_long)[1] != "too_long":
        fails.append("a blob over the size limit is not refused as too long")
    if dump(generate()) != text:
        fails.append("%s is not exactly what 'envelope_ref.py generate' writes" % path)
    for f in fails:
        print("FAIL:", f)
    print("%d seal, %d open and 1 two-key vectors checked: %s"
          % (len(doc["seal"]), len(doc["open"]), "FAILED" if fails else "ok"))
    return 1 if fails else 0


def main(argv):
    if len(argv) == 2 and argv[1] == "generate":
        sys.stdout.write(dump(generate()))
        return 0
    if len(argv) == 3 and argv[1] == "check":
        return check(argv[2])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
