#!/usr/bin/env python3
"""Writes the seed corpora tests/fuzz/corpus/{jws,jwk}/.

Each file is named after the attack or case it is.  Signatures are made with
the public example keys of RFC 7515 (A.1 HMAC, A.2 RSA, A.3 EC) and RFC 7520
(RSA), the same keys fuzz_jws.c verifies with, so valid seeds reach the
signature code.  Needs python3-cryptography; the output is committed, so this
only runs when the corpus is changed:  python3 tests/fuzz/make_corpus.py
"""
import base64
import hashlib
import hmac
import json
import os
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def b64(b):
    if isinstance(b, str):
        b = b.encode()
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def num(s):
    return int.from_bytes(unb64(s), "big")


# --- keys (RFC 7515 A.1-A.3, RFC 7520 3.4), read from the unit test header
VEC = {}
with open(os.path.join(ROOT, "tests/unit/jose/vectors.h")) as f:
    name = None
    for line in f:
        line = line.strip()
        if line.startswith("#define "):
            parts = line.split(None, 2)
            name = parts[1]
            VEC[name] = ""
            line = parts[2] if len(parts) > 2 else ""
        if name is None:
            continue
        # string literals, and earlier macros used by name
        for i, piece in enumerate(line.split('"')):
            if i % 2:
                VEC[name] += piece
            else:
                for word in piece.replace("\\", " ").split():
                    if word in VEC and word != name:
                        VEC[name] += VEC[word]
        if not line.endswith("\\"):
            name = None

HS_KEY = unb64(VEC["RFC7515_A1_K"])
EC_PRIV = ec.EllipticCurvePrivateNumbers(
    num(VEC["RFC7515_A3_D"]),
    ec.EllipticCurvePublicNumbers(num(VEC["RFC7515_A3_X"]),
                                  num(VEC["RFC7515_A3_Y"]), ec.SECP256R1()),
).private_key()
RSA_PRIV = rsa.RSAPrivateNumbers(
    num(VEC["RFC7520_RSA_P"]), num(VEC["RFC7520_RSA_Q"]),
    num(VEC["RFC7520_RSA_D"]), num(VEC["RFC7520_RSA_DP"]),
    num(VEC["RFC7520_RSA_DQ"]), num(VEC["RFC7520_RSA_QI"]),
    rsa.RSAPublicNumbers(65537, num(VEC["RFC7520_RSA_N"])),
).private_key()
RSA_A2_PUB = rsa.RSAPublicNumbers(65537, num(VEC["RFC7515_A2_N"])).public_key()
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def js(o):
    return json.dumps(o, separators=(",", ":"))


def signing_input(header, payload):
    h = header if isinstance(header, str) else js(header)
    p = payload if isinstance(payload, str) else js(payload)
    return b64(h) + "." + b64(p)


def es256_raw(si):
    der = EC_PRIV.sign(si.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = utils.decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big"), der


def sign(header, payload):
    si = signing_input(header, payload)
    alg = header["alg"] if isinstance(header, dict) else json.loads(header)["alg"]
    if alg == "HS256":
        sig = hmac.new(HS_KEY, si.encode(), hashlib.sha256).digest()
    elif alg == "ES256":
        sig = es256_raw(si)[0]
    elif alg == "RS256":
        sig = RSA_PRIV.sign(si.encode(), padding.PKCS1v15(), hashes.SHA256())
    elif alg == "PS256":
        sig = RSA_PRIV.sign(si.encode(),
                            padding.PSS(padding.MGF1(hashes.SHA256()), 32),
                            hashes.SHA256())
    else:
        sig = b"\x00" * 32
    return si + "." + b64(sig)


CLAIMS = {"iss": "https://idp.example", "sub": "alice", "aud": "door",
          "exp": 2000000000, "iat": 1700000000, "nonce": "n-0S6_WzA2Mj"}
KID7520 = "bilbo.baggins@hobbiton.example"

jws = {}
# valid tokens, one per algorithm
jws["valid-rfc7515-a1-hs256"] = VEC["RFC7515_A1_JWS"]
jws["valid-rfc7515-a2-rs256"] = VEC["RFC7515_A2_JWS"]
jws["valid-rfc7515-a3-es256"] = VEC["RFC7515_A3_JWS"]
jws["valid-ps256-fixed-vector"] = VEC["PS256_VECTOR_JWS"]
jws["valid-es256-kid"] = sign({"alg": "ES256", "kid": "ec", "typ": "JWT"}, CLAIMS)
jws["valid-hs256-kid"] = sign({"alg": "HS256", "kid": "hs"}, CLAIMS)
jws["valid-ps256-kid"] = sign({"alg": "PS256", "kid": KID7520}, CLAIMS)
jws["rfc7520-4-1-text-payload"] = VEC["RFC7520_41_JWS"]
jws["rfc7520-4-2-ps384-unsupported"] = VEC["RFC7520_42_JWS"]
jws["rfc7520-4-3-es512-unsupported"] = VEC["RFC7520_43_JWS"]
# alg none
for name, alg in [("alg-none-lowercase", "none"), ("alg-none-capitalised", "None"),
                  ("alg-none-upper", "NONE"), ("alg-none-mixed-case", "nOnE")]:
    jws[name] = signing_input({"alg": alg}, CLAIMS) + "."
jws["alg-none-with-signature"] = signing_input({"alg": "none"}, CLAIMS) + ".c2ln"
jws["alg-missing"] = signing_input({"typ": "JWT"}, CLAIMS) + ".AAAA"
jws["alg-not-string"] = signing_input({"alg": ["HS256"]}, CLAIMS) + ".AAAA"
# HS256 keyed with the RSA public key (key confusion)
pem = RSA_A2_PUB.public_bytes(serialization.Encoding.PEM,
                              serialization.PublicFormat.SubjectPublicKeyInfo)
der = RSA_A2_PUB.public_bytes(serialization.Encoding.DER,
                              serialization.PublicFormat.SubjectPublicKeyInfo)
for name, secret in [("hs256-with-rsa-public-pem", pem),
                     ("hs256-with-rsa-public-der", der),
                     ("hs256-with-rsa-public-n", unb64(VEC["RFC7515_A2_N"])),
                     ("hs256-with-rsa-public-jwk", js({"kty": "RSA", "e": "AQAB",
                                                       "n": VEC["RFC7515_A2_N"]}).encode())]:
    for kid in (None, "rsa"):
        h = {"alg": "HS256"}
        if kid:
            h["kid"] = kid
        si = signing_input(h, CLAIMS)
        tag = hmac.new(secret, si.encode(), hashlib.sha256).digest()
        jws[name + ("-kid-rsa" if kid else "")] = si + "." + b64(tag)
# ES256 signature values
si = signing_input({"alg": "ES256", "kid": "ec"}, CLAIMS)
raw, der_sig = es256_raw(si)
r, s = raw[:32], raw[32:]
nb = P256_N.to_bytes(32, "big")
jws["es256-psychic-r0-s0"] = si + "." + b64(b"\x00" * 64)
jws["es256-r0"] = si + "." + b64(b"\x00" * 32 + s)
jws["es256-s0"] = si + "." + b64(r + b"\x00" * 32)
jws["es256-r-equals-n"] = si + "." + b64(nb + s)
jws["es256-s-equals-n"] = si + "." + b64(r + nb)
jws["es256-r-s-equal-n"] = si + "." + b64(nb + nb)
jws["es256-r-above-n"] = si + "." + b64(b"\xff" * 32 + s)
jws["es256-s-above-n"] = si + "." + b64(r + (P256_N + 1).to_bytes(32, "big"))
jws["es256-s-high-malleable"] = si + "." + b64(r + (P256_N - int.from_bytes(s, "big")).to_bytes(32, "big"))
jws["es256-sig-empty"] = si + "."
jws["es256-sig-63-bytes"] = si + "." + b64(raw[:63])
jws["es256-sig-65-bytes"] = si + "." + b64(raw + b"\x00")
jws["es256-sig-65-bytes-leading-zero"] = si + "." + b64(b"\x00" + raw)
jws["es256-der-signature"] = si + "." + b64(der_sig)
jws["es256-r-s-swapped"] = si + "." + b64(s + r)
# RSA and HMAC lengths
rs = sign({"alg": "RS256", "kid": "rsa"}, CLAIMS)
jws["rs256-sig-255-bytes"] = rs.rsplit(".", 1)[0] + "." + b64(unb64(rs.rsplit(".", 1)[1])[1:])
jws["rs256-sig-257-bytes"] = rs.rsplit(".", 1)[0] + "." + b64(b"\x00" + unb64(rs.rsplit(".", 1)[1]))
hs = sign({"alg": "HS256", "kid": "hs"}, CLAIMS)
jws["hs256-mac-truncated-16"] = hs.rsplit(".", 1)[0] + "." + b64(unb64(hs.rsplit(".", 1)[1])[:16])
# key type confusion
jws["rs256-token-ec-kid"] = sign({"alg": "RS256", "kid": "ec"}, CLAIMS)
jws["es256-token-rsa-kid"] = sign({"alg": "ES256", "kid": "rsa"}, CLAIMS)
jws["ps256-token-rs256-only-key"] = sign({"alg": "PS256", "kid": "rsa"}, CLAIMS)
jws["unknown-kid"] = sign({"alg": "ES256", "kid": "nobody"}, CLAIMS)
jws["no-kid-ps256-two-rsa-keys"] = sign({"alg": "PS256"}, CLAIMS)
# structure
good = VEC["RFC7515_A3_JWS"]
h, p, sg = good.split(".")
jws["two-segments"] = h + "." + p
jws["four-segments"] = good + ".AAAA"
jws["four-segments-empty"] = good + "."
jws["five-segments-jwe"] = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.AAAA.AAAA.AAAA.AAAA"
jws["all-empty-segments"] = ".."
jws["many-dots"] = "." * 5000
jws["many-dots-after-token"] = good + "." * 4000
jws["header-segment-oversized"] = b64(js({"alg": "ES256", "x": "A" * 3000})) + "." + p + "." + sg
jws["payload-segment-oversized"] = h + "." + b64(js({"x": "A" * 12000})) + "." + sg
# base64url canonical form
jws["base64-padding-header"] = h + "==." + p + "." + sg
jws["base64-padding-signature"] = good + "=="
jws["base64-plus-slash"] = good.replace("-", "+").replace("_", "/")
jws["base64-whitespace"] = h + "." + p[:10] + " " + p[10:] + "." + sg
jws["base64-newline"] = h + "." + p + ".\n" + sg
jws["base64-trailing-bits"] = good[:-1] + "R"
jws["base64-length-1-mod-4"] = h + "." + p[:-1] + "." + sg
# JSON
jws["dup-header-keys"] = signing_input('{"alg":"ES256","alg":"ES256"}', CLAIMS) + "." + sg
jws["dup-header-alg-confusion"] = signing_input('{"alg":"HS256","alg":"RS256"}', CLAIMS) + "." + sg
jws["dup-payload-keys"] = signing_input({"alg": "ES256"}, '{"sub":"alice","sub":"admin"}') + "." + sg
jws["dup-keys-escaped"] = signing_input('{"alg":"ES256","\\u0061lg":"HS256"}', CLAIMS) + "." + sg
jws["deep-nesting-payload"] = signing_input({"alg": "ES256"}, '{"a":' + "[" * 500 + "]" * 500 + "}") + "." + sg
jws["deep-nesting-header"] = signing_input('{"alg":"ES256","x":' + "{\"a\":" * 40 + "1" + "}" * 40 + "}", CLAIMS) + "." + sg
jws["nul-in-payload"] = signing_input({"alg": "ES256"}, '{"sub":"a\\u0000b"}') + "." + sg
jws["invalid-utf8-payload"] = b64(js({"alg": "ES256"})) + "." + b64(b'{"sub":"\xff\xfe"}') + "." + sg
jws["payload-array"] = signing_input({"alg": "ES256"}, "[1,2]") + "." + sg
jws["payload-empty"] = b64(js({"alg": "ES256"})) + ".." + sg
jws["header-not-json"] = b64("alg=ES256") + "." + p + "." + sg
jws["kid-not-string"] = signing_input({"alg": "ES256", "kid": 7}, CLAIMS) + "." + sg
jws["big-number-claim"] = signing_input({"alg": "ES256"}, '{"exp":1e400}') + "." + sg
# extensions and key-supplying headers
jws["crit-header"] = sign({"alg": "ES256", "kid": "ec", "crit": ["exp"], "exp": 1}, CLAIMS)
jws["crit-b64-false"] = sign({"alg": "ES256", "kid": "ec", "b64": False, "crit": ["b64"]}, CLAIMS)
jws["jwk-header-injection"] = sign({"alg": "ES256", "jwk": {"kty": "EC", "crv": "P-256",
                                                           "x": VEC["RFC7515_A3_X"], "y": VEC["RFC7515_A3_Y"]}}, CLAIMS)
jws["jku-header"] = sign({"alg": "RS256", "jku": "https://evil.example/jwks.json"}, CLAIMS)
jws["x5u-header"] = sign({"alg": "RS256", "x5u": "https://evil.example/cert.pem"}, CLAIMS)
jws["x5c-header"] = sign({"alg": "RS256", "x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]}, CLAIMS)

jwk = {}
with open(os.path.join(ROOT, "tests/data/daccount-jwks.json")) as f:
    jwk["daccount-jwks-leading-zero-n"] = f.read().strip()
ec_pub = {"kty": "EC", "crv": "P-256", "x": VEC["RFC7515_A3_X"], "y": VEC["RFC7515_A3_Y"]}
rsa_pub = {"kty": "RSA", "n": VEC["RFC7520_RSA_N"], "e": "AQAB"}
jwk["rfc7515-a3-ec-public"] = js(ec_pub)
jwk["rfc7520-rsa-public"] = js(dict(rsa_pub, kid=KID7520, use="sig"))
jwk["rfc7515-a3-ec-private"] = js(dict(ec_pub, d=VEC["RFC7515_A3_D"]))
jwk["rfc7520-rsa-private"] = js(dict(rsa_pub, d=VEC["RFC7520_RSA_D"], p=VEC["RFC7520_RSA_P"],
                                     q=VEC["RFC7520_RSA_Q"], dp=VEC["RFC7520_RSA_DP"],
                                     dq=VEC["RFC7520_RSA_DQ"], qi=VEC["RFC7520_RSA_QI"]))
jwk["jwks-two-keys"] = js({"keys": [dict(ec_pub, kid="e1"), dict(rsa_pub, kid="r1", alg="RS256")]})
jwk["jwks-private-member-d"] = js({"keys": [dict(ec_pub, d=VEC["RFC7515_A3_D"])]})
jwk["jwks-rsa-private-members"] = js({"keys": [json.loads(jwk["rfc7520-rsa-private"])]})
jwk["jwks-oct-key"] = js({"keys": [{"kty": "oct", "k": VEC["RFC7515_A1_K"]}]})
jwk["rsa-1024-weak"] = js({"keys": [{"kty": "RSA", "e": "AQAB", "n": b64(b"\xc5" * 128)}]})
jwk["rsa-8192-oversized"] = js({"keys": [{"kty": "RSA", "e": "AQAB", "n": b64(b"\xc3" * 1024)}, ec_pub]})
jwk["rsa-two-leading-zeros"] = js({"kty": "RSA", "e": "AQAB", "n": b64(b"\x00\x00" + unb64(VEC["RFC7520_RSA_N"]))})
jwk["rsa-even-modulus"] = js({"kty": "RSA", "e": "AQAB", "n": b64(unb64(VEC["RFC7520_RSA_N"])[:-1] + b"\x00")})
jwk["rsa-e-leading-zero"] = js(dict(rsa_pub, e="AAEAAQ"))
jwk["rsa-e-even"] = js(dict(rsa_pub, e="AQAA"))
jwk["ec-point-not-on-curve"] = js(dict(ec_pub, y=VEC["RFC7515_A3_Y"][:-1] + "w"))
jwk["ec-point-zero"] = js(dict(ec_pub, x="A" * 43, y="A" * 43))
jwk["ec-x-31-bytes"] = js(dict(ec_pub, x=b64(unb64(VEC["RFC7515_A3_X"])[1:])))
jwk["ec-p384-other-curve"] = js({"keys": [dict(ec_pub, crv="P-384"), dict(rsa_pub)]})
jwk["ec-secp256k1"] = js(dict(ec_pub, crv="secp256k1"))
jwk["use-enc-skipped"] = js({"keys": [dict(rsa_pub, use="enc"), ec_pub]})
jwk["alg-mismatch-ec-rs256"] = js({"keys": [dict(ec_pub, alg="RS256")]})
jwk["alg-none-key"] = js({"keys": [dict(rsa_pub, alg="none")]})
jwk["alg-rs512-skipped"] = js({"keys": [dict(rsa_pub, alg="RS512"), ec_pub]})
jwk["okp-ed25519-skipped"] = js({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}, ec_pub]})
jwk["jwks-65-keys"] = js({"keys": [ec_pub] * 65})
jwk["jwks-dup-keys-member"] = '{"keys":[],"keys":[' + js(ec_pub) + "]}"
jwk["jwk-dup-n"] = '{"kty":"RSA","n":"AQAB","e":"AQAB","n":"' + VEC["RFC7520_RSA_N"] + '"}'
jwk["jwks-empty"] = '{"keys":[]}'
jwk["jwks-not-object"] = "[" + js(ec_pub) + "]"
jwk["jwks-key-not-object"] = '{"keys":["' + VEC["RFC7520_RSA_N"] + '"]}'
jwk["kid-not-string"] = js(dict(ec_pub, kid=["a"]))
jwk["kty-missing"] = js({"n": VEC["RFC7520_RSA_N"], "e": "AQAB"})
jwk["base64-padding-in-x"] = js(dict(ec_pub, x=VEC["RFC7515_A3_X"] + "="))
jwk["base64-std-alphabet-in-n"] = js(dict(rsa_pub, n=VEC["RFC7520_RSA_N"].replace("-", "+").replace("_", "/")))
jwk["deep-nesting"] = '{"keys":[' + "[" * 300 + "]" * 300 + "]}"

for sub, items in (("jws", jws), ("jwk", jwk)):
    d = os.path.join(HERE, "corpus", sub)
    os.makedirs(d, exist_ok=True)
    for name, text in items.items():
        with open(os.path.join(d, name), "w", newline="") as f:
            f.write(text)
    print(f"{sub}: {len(items)} files", file=sys.stderr)
