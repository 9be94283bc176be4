import socket, sys, time
def probe(data, connect=b'CONNECT {"verbose":false,"pedantic":false}\r\n', port=17422, wait=0.6):
    s = socket.create_connection(('127.0.0.1', port))
    s.settimeout(wait)
    info = b''
    while not info.endswith(b'\r\n'):
        info += s.recv(4096)
    s.sendall(connect + data)
    out = b''; closed = False
    end = time.time()+wait
    try:
        while time.time() < end:
            c = s.recv(65536)
            if not c: closed = True; break
            out += c
    except socket.timeout: pass
    except ConnectionResetError: closed = True
    s.close()
    return info, out, closed
if __name__ == '__main__':
    for a in sys.argv[1:]:
        d = eval('b'+repr(a).replace("\\\\","\\"))
        i,o,c = probe(d)
        print(repr(a), '->', repr(o), 'CLOSED' if c else 'open')
