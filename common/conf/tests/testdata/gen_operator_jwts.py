# Regenerates the operator and account JWTs used by operator.conf (fresh keys
# each run; paste the output into includes/operator.jwt and operator.conf).
# Needs python3-cryptography. Output lines: operator key, operator JWT, system
# account key, its JWT, application account key, its JWT.
import base64, json, hashlib, time
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

def crc16(data):
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc

def encode_pub(prefix, raw):
    data = bytes([prefix]) + raw
    c = crc16(data)
    data += bytes([c & 0xFF, c >> 8])
    return base64.b32encode(data).decode().rstrip('=')

def keypair(prefix):
    k = Ed25519PrivateKey.generate()
    raw = k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return k, encode_pub(prefix, raw)

def b64(b): return base64.urlsafe_b64encode(b).decode().rstrip('=')

def jwt(signer, claims):
    header = b64(json.dumps({"typ": "JWT", "alg": "ed25519-nkey"}, separators=(',', ':')).encode())
    c = dict(claims)
    c["jti"] = ""
    c["jti"] = base64.b32encode(hashlib.sha256(json.dumps(c, separators=(',', ':')).encode()).digest()).decode().rstrip('=')
    payload = b64(json.dumps(c, separators=(',', ':')).encode())
    sig = signer.sign((header + "." + payload).encode())
    return header + "." + payload + "." + b64(sig)

now = 1700000000
opk, op = keypair(14 << 3)
syk, sysacc = keypair(0)
apk, app = keypair(0)
opjwt = jwt(opk, {"iat": now, "iss": op, "name": "meridian-test", "sub": op,
                  "nats": {"system_account": sysacc, "type": "operator", "version": 2}})
def acct(pub, name):
    return jwt(opk, {"iat": now, "iss": op, "name": name, "sub": pub,
                     "nats": {"limits": {"subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1,
                              "wildcards": True, "conn": -1, "leaf": -1}, "default_permissions": {"pub": {}, "sub": {}},
                              "type": "account", "version": 2}})
print(op); print(opjwt); print(sysacc); print(acct(sysacc, "SYS")); print(app); print(acct(app, "APP"))
