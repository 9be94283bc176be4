"""Differential run: random mutated client streams sent to nats-server and to ProtocolParser;
the close/-ERR/PONG verdicts must agree. Usage: see run.sh. Args: seed count."""
import os, random, sys, socket, time, subprocess, concurrent.futures
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe import probe
HERE = os.path.dirname(os.path.abspath(__file__))
PORT = int(os.environ['NATS_PORT'])
os.chdir(os.environ.get('WORK', '/tmp'))
rnd = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
def tok():
    n = rnd.choice([rnd.randint(1,6), rnd.randint(1,6), rnd.randint(245,260)])
    return ''.join(rnd.choice('abcXY01.') for _ in range(n)).strip('.') or 'a'
def op():
    k = rnd.choice(['PUB','PUB','HPUB','UNSUB','PING','PONG','CONNECT','pub','ping','MSG'])
    if k.lower() == 'pub':
        p = bytes(rnd.choice(b'xyz \r\n') for _ in range(rnd.choice([rnd.randint(0,12), rnd.randint(1020,1030)])))
        r = (' ' + tok()) if rnd.random() < .3 else ''
        return f'{k} {tok()}{r} {len(p)}\r\n'.encode() + p + b'\r\n'
    if k == 'HPUB':
        h = b'NATS/1.0\r\nK: v\r\n\r\n'; p = b'hi'
        return f'HPUB {tok()} {len(h)} {len(h)+len(p)}\r\n'.encode() + h + p + b'\r\n'
    if k == 'UNSUB': return f'UNSUB {tok()}{" 5" if rnd.random()<.5 else ""}\r\n'.encode()
    if k == 'MSG': return f'MSG {tok()} 1 {rnd.choice([2, 99999])}\r\nhi\r\n'.encode()
    if k == 'CONNECT': return b'CONNECT {"verbose":false,"headers":true}\r\n'
    return (k + '\r\n').encode()
def mutate(d):
    d = bytearray(d)
    for _ in range(rnd.randint(0,4)):
        if not d: break
        at = rnd.randrange(len(d)); m = rnd.randrange(4)
        c = rnd.choice(b' \t\r\n0123456789-+aZ{}"\'\x00PUBSING')
        if m == 0: d[at] = c
        elif m == 1: d.insert(at, c)
        elif m == 2: del d[at]
        else: d[at:at] = d[at:at+rnd.randint(1,5)]
    return bytes(d)
cases = []
for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 150):
    d = b''.join(op() for _ in range(rnd.randint(1,5))) + b'PING\r\n'
    cases.append(mutate(d))
open('cases.txt','w').write('\n'.join(c.hex() for c in cases) + '\n')
def server(c):
    i,o,cl = probe(c, connect=b'CONNECT {"verbose":false,"headers":true}\r\n', wait=0.3, port=PORT)
    pongs = o.count(b'PONG\r\n')
    errs = [l for l in o.split(b'\r\n') if l.startswith(b'-ERR') and b'Invalid' not in l]  # subject checks are the connection's
    if cl:
        return (errs[-1].decode() if errs else 'silent') + f' closed pongs={pongs}'
    return f'open pongs={pongs}'
with concurrent.futures.ThreadPoolExecutor(8) as ex:
    srv = list(ex.map(server, cases))
mine = subprocess.run(['/usr/lib/jvm/temurin-25-jdk-amd64/bin/java','-cp',os.environ['WEFT_CP'], os.path.join(HERE, 'Verdict.java'),'cases.txt'],capture_output=True,text=True).stdout.splitlines()
assert len(mine) == len(cases), (len(mine), len(cases))
bad = 0
for c, s, m in zip(cases, srv, mine):
    if s != m:
        bad += 1
        print('MISMATCH', repr(c), '\n   server:', s, '\n   weft:  ', m)
print(len(cases), 'cases,', bad, 'mismatches')
