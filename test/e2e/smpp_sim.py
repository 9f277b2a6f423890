#!/usr/bin/env python3
"""Minimal SMPP 3.4 SMSC simulator for bearerbox (`smsc = smpp`), loopback only
(binds 127.0.0.1; exits by itself after MAXSECS, default 600).

bearerbox connects to it as an ESME (client), so Kannel itself opens no extra
listening port.  Unlike fakesmsc it returns real SMPP message ids and sends
real delivery receipts (deliver_sm, esm_class 0x04), so Kannel's own DLR
machinery produces every DLR type.  Outcome by the last 4 digits of the
destination number:
  ...0016  submit_sm_resp status 0x0B (invalid dest addr) -> DLR 16 (SMSC reject)
  ...0002  ack, then receipt stat:UNDELIV                 -> DLR 8, then 2
  ...0004  ack, receipt stat:ENROUTE, then stat:DELIVRD   -> DLR 8, 4, then 1
           (the final receipt FINAL_GAP = 3 s after the intermediate one)
  ...0000  ack, never a receipt                           -> DLR 8 only
  other    ack, then receipt stat:DELIVRD                 -> DLR 8, then 1
Kannel passes on only the DLR types the sendsms dlr-mask asks for.
The first receipt comes 0.2 s after the submit_sm_resp.
Receipts are only sent when submit_sm asked for them (registered_delivery&1).

Each submit_sm is logged to LOGFILE as one line:
  <epoch> SUBMIT id=N from=S to=D dcs=C esm=E reg=R udh=HEX sm=HEX
(HEX = lowercase hex of the raw octets; udh is split off when esm&0x40;
 dcs 0 = GSM 03.38 septets one per octet, 8 = UTF-16BE, 4 = 8-bit).
Each receipt sent: <epoch> RECEIPT id=N stat=STAT.
usage: smpp_sim.py PORT LOGFILE [MAXSECS]"""
import socket, socketserver, struct, sys, threading, time

port, logfile = int(sys.argv[1]), sys.argv[2]
maxsecs = float(sys.argv[3]) if len(sys.argv) > 3 else 600.0
FINAL_GAP = 3.0
loglock = threading.Lock()
ids = iter(range(1000, 10**9))
idlock = threading.Lock()


def log(s):
    with loglock, open(logfile, "a") as f:
        f.write("%.3f %s\n" % (time.time(), s))


def cstr(b, off):
    end = b.index(b"\0", off)
    return b[off:end].decode("latin-1"), end + 1


def parse_sm(body):
    """submit_sm / deliver_sm body -> dict"""
    d = {}
    off = 0
    d["service_type"], off = cstr(body, off)
    d["src_ton"], d["src_npi"] = body[off], body[off + 1]; off += 2
    d["src"], off = cstr(body, off)
    d["dst_ton"], d["dst_npi"] = body[off], body[off + 1]; off += 2
    d["dst"], off = cstr(body, off)
    d["esm"], d["pid"], d["prio"] = body[off], body[off + 1], body[off + 2]; off += 3
    d["sched"], off = cstr(body, off)
    d["validity"], off = cstr(body, off)
    d["reg"], d["replace"], d["dcs"], d["defmsg"], smlen = body[off:off + 5]; off += 5
    d["sm"] = body[off:off + smlen]; off += smlen
    while off + 4 <= len(body):                      # TLVs
        tag, ln = struct.unpack(">HH", body[off:off + 4])
        if tag == 0x0424:                            # message_payload
            d["sm"] = body[off + 4:off + 4 + ln]
        off += 4 + ln
    return d


class Handler(socketserver.BaseRequestHandler):
    def send(self, cmd, status, seq, body=b""):
        with self.wlock:
            self.request.sendall(struct.pack(">IIII", 16 + len(body), cmd, status, seq) + body)

    def receipt(self, sm, msgid, stats):
        for i, st in enumerate(stats):
            time.sleep(0.2 if i == 0 else FINAL_GAP)
            now = time.strftime("%y%m%d%H%M")
            text = ("id:%s sub:001 dlvrd:%s submit date:%s done date:%s stat:%s err:000 text:"
                    % (msgid, "001" if st == "DELIVRD" else "000", now, now, st)).encode()
            body = (b"\0" + bytes([sm["dst_ton"], sm["dst_npi"]]) + sm["dst"].encode() + b"\0"
                    + bytes([sm["src_ton"], sm["src_npi"]]) + sm["src"].encode() + b"\0"
                    + bytes([0x04, 0, 0]) + b"\0\0" + bytes([0, 0, 0, 0, len(text)]) + text)
            with self.seqlock:
                self.seq += 1
                seq = self.seq
            try:
                self.send(0x00000005, 0, seq, body)
                log("RECEIPT id=%s stat=%s" % (msgid, st))
            except OSError as e:
                log("RECEIPT id=%s failed: %s" % (msgid, e))

    def handle(self):
        self.wlock, self.seqlock, self.seq = threading.Lock(), threading.Lock(), 0
        self.request.settimeout(maxsecs)
        log("CONNECT %s:%d" % self.client_address)
        buf = b""
        try:
            while True:
                while len(buf) < 4 or len(buf) < struct.unpack(">I", buf[:4])[0]:
                    chunk = self.request.recv(65536)
                    if not chunk:
                        log("EOF")
                        return
                    buf += chunk
                ln = struct.unpack(">I", buf[:4])[0]
                pdu, buf = buf[:ln], buf[ln:]
                _, cmd, status, seq = struct.unpack(">IIII", pdu[:16])
                body = pdu[16:]
                if cmd in (1, 2, 9):                  # bind_receiver/transmitter/transceiver
                    sysid, _ = cstr(body, 0)
                    log("BIND cmd=0x%x system_id=%s" % (cmd, sysid))
                    self.send(0x80000000 | cmd, 0, seq, b"smppsim\0")
                elif cmd == 0x15:                     # enquire_link
                    self.send(0x80000015, 0, seq)
                elif cmd == 0x06:                     # unbind
                    log("UNBIND")
                    self.send(0x80000006, 0, seq)
                elif cmd == 0x04:                     # submit_sm
                    sm = parse_sm(body)
                    raw = sm["sm"]
                    udh = b""
                    if sm["esm"] & 0x40 and raw:
                        udh, raw = raw[:raw[0] + 1], raw[raw[0] + 1:]
                    with idlock:
                        msgid = str(next(ids))
                    log("SUBMIT id=%s from=%s to=%s dcs=%d esm=%d reg=%d udh=%s sm=%s"
                        % (msgid, sm["src"], sm["dst"], sm["dcs"], sm["esm"], sm["reg"],
                           udh.hex(), raw.hex()))
                    dst = sm["dst"]
                    if dst.endswith("0016"):
                        self.send(0x80000004, 0x0000000B, seq, b"\0")
                        continue
                    self.send(0x80000004, 0, seq, msgid.encode() + b"\0")
                    stats = ["DELIVRD"]
                    if dst.endswith("0002"):
                        stats = ["UNDELIV"]
                    elif dst.endswith("0004"):
                        stats = ["ENROUTE", "DELIVRD"]
                    elif dst.endswith("0000"):
                        stats = []
                    if sm["reg"] & 0x01 and stats:
                        threading.Thread(target=self.receipt, args=(sm, msgid, stats),
                                         daemon=True).start()
                elif cmd & 0x80000000:                # responses (deliver_sm_resp, ...)
                    pass
                else:
                    self.send(0x80000000, 0x00000003, seq)   # generic_nack: invalid cmd
        except (OSError, ValueError) as e:
            log("CONN ERROR %s" % e)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


srv = Server(("127.0.0.1", port), Handler)
stop = threading.Timer(maxsecs, srv.shutdown)
stop.daemon = True
stop.start()
log("LISTEN 127.0.0.1:%d for %gs" % (port, maxsecs))
srv.serve_forever()
srv.server_close()
log("EXIT")
