import socket, json, time, base64, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
def b32dec(s):
    s = s + "=" * ((8 - len(s) % 8) % 8)
    return base64.b32decode(s)
def seed_priv(seed):
    raw = b32dec(seed)
    return Ed25519PrivateKey.from_private_bytes(raw[2:34])

class C:
    def __init__(self, port, **opts):
        self.s = socket.create_connection(("127.0.0.1", port)); self.s.settimeout(1.5)
        self.buf = b""
        self.info = json.loads(self.line()[5:])
        self.opts = opts
    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d: raise EOFError("closed; buf=%r" % self.buf)
            self.buf += d
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l.decode()
    def send(self, *lines):
        self.s.sendall(("".join(l + "\r\n" for l in lines)).encode())
    def connect(self, **kw):
        d = {"verbose": False, "pedantic": False, "protocol": 1}; d.update(kw)
        self.send("CONNECT " + json.dumps(d))
        return self.sync()
    def sync(self):
        self.send("PING"); out = []
        try:
            while True:
                l = self.line()
                if l == "PONG": return out
                out.append(l)
        except (EOFError, socket.timeout, ConnectionResetError) as e:
            out.append("<%s>" % type(e).__name__); return out

def show(label, v): print(label, "=>", v)

mode = sys.argv[1]
if mode == "s1":
    P = 18532
    c = C(P); show("INFO s1 keys", {k: c.info.get(k) for k in ("auth_required", "nonce")})
    full = C(P); show("full connect", full.connect(user="full", **{"pass": "full"}))
    # a: allow foo.>, deny foo.bar
    a = C(P); show("a connect", a.connect(user="a", **{"pass": "a"}))
    show("a SUB foo.* 1", a.send("SUB foo.* 1") or a.sync())
    show("a SUB foo.> 2", a.send("SUB foo.> 2") or a.sync())
    show("a SUB foo.bar 3", a.send("SUB foo.bar 3") or a.sync())
    show("a SUB > 4", a.send("SUB > 4") or a.sync())
    full.send("PUB foo.bar 2", "hi", "PUB foo.baz 2", "ho"); full.sync(); time.sleep(0.2)
    show("a got after pub foo.bar, foo.baz", a.sync())
    # w: allow foo.*
    w = C(P); w.connect(user="w", **{"pass": "w"})
    for i, s in enumerate(["foo.>", "foo.bar", "foo.*", "*.*", "*", ">", "foo.bar.baz", "*.bar"]):
        show("w SUB " + s, w.send("SUB %s %d" % (s, i + 1)) or w.sync())
    # d: deny foo.>
    d = C(P); d.connect(user="d", **{"pass": "d"})
    for i, s in enumerate(["foo.bar", "foo.*", "foo.>", ">", "*.bar", "bar"]):
        show("d SUB " + s, d.send("SUB %s %d" % (s, i + 1)) or d.sync())
    d = C(P); d.connect(user="d", **{"pass": "d"})
    show("d SUB > 1", d.send("SUB > 1", "SUB *.bar 2") or d.sync())
    full.send("PUB foo.bar 1", "x", "PUB zz.bar 1", "y", "PUB foo.q.r 1", "z"); full.sync(); time.sleep(0.2)
    show("d got (after foo.bar, zz.bar, foo.q.r)", d.sync())
    # q: queue perms
    q = C(P); q.connect(user="q", **{"pass": "q"})
    for i, s in enumerate(["foo", "foo v1", "foo v2", "foo v1.x", "foo a.dev", "foo a.prod", "bar", "bar v1", "foo v1.prod"]):
        show("q SUB " + s, q.send("SUB %s %d" % (s, i + 1)) or q.sync())
    q2 = C(P); q2.connect(user="q2", **{"pass": "q2"})
    for i, s in enumerate(["bar", "bar g", "bar g.h", "baz g"]):
        show("q2 SUB " + s, q2.send("SUB %s %d" % (s, i + 1)) or q2.sync())
    # r: allow_responses max 2
    r = C(P); r.connect(user="r", **{"pass": "r"}); r.send("SUB req 1"); r.sync()
    show("r pub to _INBOX.x before request", r.send("PUB _INBOX.x 1", "a") or r.sync())
    show("r pub other", r.send("PUB other 1", "a") or r.sync())
    full.send("SUB _INBOX.> 9"); full.sync()
    full.send("PUB req _INBOX.r1 1", "q"); full.sync(); time.sleep(0.2)
    show("r got", r.sync())
    show("r pub reply x3", r.send("PUB _INBOX.r1 1", "1", "PUB _INBOX.r1 1", "2", "PUB _INBOX.r1 1", "3") or r.sync())
    time.sleep(0.2); show("full got", full.sync())
    show("r pub reply.sub (subject under reply)", r.send("PUB _INBOX.r1.x 1", "1") or r.sync())
    r2 = C(P); r2.connect(user="r2", **{"pass": "r2"}); r2.send("SUB req 1"); r2.sync()
    show("r2 pub ok.1 / other", r2.send("PUB ok.1 1", "a", "PUB other 1", "b") or r2.sync())
    full.send("PUB req _INBOX.r2 1", "q"); full.sync(); time.sleep(0.2); r2.sync()
    show("r2 pub reply x2", r2.send("PUB _INBOX.r2 1", "1", "PUB _INBOX.r2 1", "2") or r2.sync())
    time.sleep(0.2); show("full got", full.sync())
    # pd / pa
    pd = C(P); pd.connect(user="pd", **{"pass": "pd"})
    show("pd pub secret.x / ok", pd.send("PUB secret.x 1", "a", "PUB ok 1", "a") or pd.sync())
    pa = C(P); pa.connect(user="pa", **{"pass": "pa"})
    show("pa pub foo.bar / foo.x / foo.x.y", pa.send("PUB foo.bar 1", "a", "PUB foo.x 1", "a", "PUB foo.x.y 1", "a") or pa.sync())
    # bcrypt
    for u in ("bca", "bcb", "bcy"):
        show(u + " good", C(P).connect(user=u, **{"pass": "bcpass"}))
        show(u + " bad", C(P).connect(user=u, **{"pass": "nope"}))
    show("bca with hash as pass", C(P).connect(user="bca", **{"pass": "$2a$04$KplPIAOmXSX.SbkKlb0d0OwRD/qArT8apiWXmGM1IHw/tKQQHaN0S"}))
    show("wrong pass", C(P).connect(user="full", **{"pass": "x"}))
    show("no creds", C(P).connect())
    # nkey
    seed = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY"; pub = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4"
    for enc in ("rawurl", "url_padded", "std", "std_nopad"):
        c = C(P); nonce = c.info["nonce"]; sig = seed_priv(seed).sign(nonce.encode())
        s = {"rawurl": base64.urlsafe_b64encode(sig).rstrip(b"="), "url_padded": base64.urlsafe_b64encode(sig),
             "std": base64.b64encode(sig), "std_nopad": base64.b64encode(sig).rstrip(b"=")}[enc].decode()
        show("nkey sig " + enc + " (%s)" % s[-4:], c.connect(nkey=pub, sig=s))
    c = C(P); show("nkey no sig", c.connect(nkey=pub))
    c = C(P); sig = seed_priv(seed).sign(b"other"); show("nkey wrong sig", c.connect(nkey=pub, sig=base64.urlsafe_b64encode(sig).rstrip(b"=").decode()))
    c = C(P); sig = seed_priv(seed).sign(c.info["nonce"].encode()); show("nkey + user/pass too", c.connect(nkey=pub, sig=base64.urlsafe_b64encode(sig).rstrip(b"=").decode(), user="full", **{"pass": "full"}))
elif mode == "s2":
    P = 17423
    c = C(P); show("INFO s2", {k: c.info.get(k) for k in ("auth_required", "nonce")})
    show("no creds connect", c.connect())
    show("no creds pub SANDBOX.a / foo", c.send("PUB SANDBOX.a 1", "x", "PUB foo 1", "x") or c.sync())
    show("no creds SUB PUBLIC.x / foo", c.send("SUB PUBLIC.x 1", "SUB foo 2") or c.sync())
    show("bad creds", C(P).connect(user="other", **{"pass": "bad"}))
    show("unknown user", C(P).connect(user="zz", **{"pass": "bad"}))
    show("user only no pass", C(P).connect(user="admin"))
    show("empty user string", C(P).connect(user=""))
    show("token only", C(P).connect(auth_token="xyz"))
    show("admin", C(P).connect(user="admin", **{"pass": "pw"}))
elif mode == "s3":
    P = 17424
    c = C(P); show("INFO s3", {k: c.info.get(k) for k in ("auth_required", "nonce")})
    show("token ok", c.connect(auth_token="s3cr3t"))
    show("token bad", C(P).connect(auth_token="nope"))
    show("token via pass", C(P).connect(user="x", **{"pass": "s3cr3t"}))
    show("no creds", C(P).connect())
elif mode == "s4":
    P = 17425
    c = C(P); show("INFO s4", {k: c.info.get(k) for k in ("auth_required", "nonce")})
    show("no creds", c.connect())
    show("ub pub x / y", (lambda c: (c.connect(user="ub", **{"pass": "pb"}), c.send("PUB x 1", "a", "PUB y 1", "a"), c.sync())[2])(C(P)))
elif mode == "s5":
    P = 17426
    c = C(P); show("INFO s5", {k: c.info.get(k) for k in ("auth_required", "nonce")})
    show("creds to no-auth server", c.connect(user="x", **{"pass": "y"}))
