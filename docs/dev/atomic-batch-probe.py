import socket,time,json
s=socket.create_connection(("127.0.0.1",24222)); s.settimeout(2)
def rd():
    time.sleep(0.3); d=b""
    try:
        while True:
            c=s.recv(65536)
            if not c: break
            d+=c
            if len(c)<65536: break
    except Exception: pass
    return d.decode(errors="replace")
rd()
s.sendall(b'CONNECT {"headers":true,"verbose":false}\r\nSUB r.> 1\r\n')
def req(subj,reply,body,hdrs=None):
    if hdrs:
        h="NATS/1.0\r\n"+"".join(f"{k}: {v}\r\n" for k,v in hdrs)+"\r\n"
        s.sendall(f"HPUB {subj} {reply} {len(h)} {len(h)+len(body)}\r\n{h}{body}\r\n".encode())
    else:
        s.sendall(f"PUB {subj} {reply} {len(body)}\r\n{body}\r\n".encode())
    print(subj, hdrs, "->", rd().replace("\r\n"," | "))
req("$JS.API.STREAM.CREATE.S","r.1",json.dumps({"name":"S","subjects":["s.>"],"allow_atomic":True}))
req("s.a","r.2","x",[("Nats-Batch-Id","b1"),("Nats-Batch-Sequence","1")])
req("s.a","r.3","y",[("Nats-Batch-Id","b1"),("Nats-Batch-Sequence","2"),("Nats-Batch-Commit","1")])
req("s.a","r.4","z",[("Nats-Batch-Id","b2"),("Nats-Batch-Sequence","2")])
req("s.a","r.5","z",[("Nats-Batch-Id","b3"),("Nats-Batch-Sequence","1")])
req("s.a","r.6","z",[("Nats-Batch-Id","b3"),("Nats-Batch-Sequence","2"),("Nats-Batch-Commit","eob")])
req("s.a","r.7","z",[("Nats-Batch-Id","b4"),("Nats-Batch-Sequence","1"),("Nats-Batch-Commit","x")])
req("s.a","r.8","z",[("Nats-Batch-Id","b5"),("Nats-Batch-Sequence","1"),("Nats-Msg-Id","m"),("Nats-Expected-Last-Msg-Id","q"),("Nats-Batch-Commit","1")])
req("s.a","r.9","z",[("Nats-Batch-Id","b6"*20),("Nats-Batch-Sequence","1")])
req("s.a","r.10","z",[("Nats-Batch-Id","b7")])
