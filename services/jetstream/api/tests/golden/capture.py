#!/usr/bin/env python3
"""Captures the golden JetStream API responses in this directory from a real
nats-server (the reference is v2.9.10):

    python3 capture.py [path/to/nats-server]

Starts `nats-server -js -n golden` on a free 127.0.0.1 port with a temporary
store directory, sends each request below over the raw client protocol and
writes the response payload to <name>.json (exact bytes, plus a newline).
Pull-request status replies are written to <name>.status (the header line).
The validation cases (VALIDATION) run on a second fresh server and go to
validation.jsonl. Servers are stopped (by PID) at the end.
CAPTURE_VALIDATION_ONLY=1 skips the first part.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


class Client:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=2)
        self.buf = b""
        self._line()  # INFO
        self.sock.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,'
                          b'"no_responders":true,"protocol":1}\r\nSUB _INBOX.> 1\r\nPING\r\n')
        while self._line() != b"PONG":
            pass
        self.n = 0

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("server closed the connection")
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _bytes(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def next_msg(self):
        """Returns (subject, header bytes, payload bytes)."""
        while True:
            line = self._line()
            if line == b"PING":
                self.sock.sendall(b"PONG\r\n")
                continue
            parts = line.split()
            if parts[0] == b"MSG":
                return parts[1], b"", self._bytes(int(parts[-1]))
            if parts[0] == b"HMSG":
                hlen, tlen = int(parts[-2]), int(parts[-1])
                data = self._bytes(tlen)
                return parts[1], data[:hlen], data[hlen:]

    def request(self, subject, payload=b"", headers=None):
        self.n += 1
        inbox = b"_INBOX.g.%d" % self.n
        if isinstance(payload, str):
            payload = payload.encode()
        if headers:
            hdr = b"NATS/1.0\r\n" + b"".join(b"%s: %s\r\n" % (k.encode(), v.encode())
                                            for k, v in headers) + b"\r\n"
            self.sock.sendall(b"HPUB %s %s %d %d\r\n%s%s\r\n" % (
                subject.encode(), inbox, len(hdr), len(hdr) + len(payload), hdr, payload))
        else:
            self.sock.sendall(b"PUB %s %s %d\r\n%s\r\n" % (subject.encode(), inbox, len(payload),
                                                          payload))
        while True:
            subj, hdr, data = self.next_msg()
            if subj == inbox:
                return hdr, data


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# (file name, subject, payload[, headers]); names starting with "_" are setup
# steps whose responses are not kept.
KV_CONFIG = ('{"name":"KV_cfg","subjects":["$KV.cfg.>"],"max_msgs_per_subject":5,'
             '"allow_rollup_hdrs":true,"deny_delete":true,"allow_direct":true,"discard":"new",'
             '"duplicate_window":120000000000,"max_msgs":-1,"max_bytes":-1,"max_age":0,'
             '"max_msg_size":-1,"max_consumers":-1,"storage":"file","num_replicas":1,'
             '"retention":"limits"}')
OBJ_CONFIG = ('{"name":"OBJ_files","description":"my files","subjects":["$O.files.C.>",'
              '"$O.files.M.>"],"max_bytes":-1,"storage":"file","num_replicas":1,'
              '"discard":"new","allow_rollup_hdrs":true,"allow_direct":true,"max_age":0}')
STEPS = [
    ("account_info_empty", "$JS.API.INFO", ""),
    ("stream_create_default", "$JS.API.STREAM.CREATE.ORDERS", '{"name":"ORDERS"}'),
    ("stream_create_same_again", "$JS.API.STREAM.CREATE.ORDERS", '{"name":"ORDERS"}'),
    ("stream_create_kv", "$JS.API.STREAM.CREATE.KV_cfg", KV_CONFIG),
    ("stream_create_obj", "$JS.API.STREAM.CREATE.OBJ_files", OBJ_CONFIG),
    ("stream_create_full", "$JS.API.STREAM.CREATE.FULL",
     '{"name":"FULL","subjects":["full.>","other"],"retention":"interest","max_consumers":10,'
     '"max_msgs":1000,"max_bytes":1048576,"max_age":3600000000000,"max_msgs_per_subject":3,'
     '"max_msg_size":4096,"discard":"new","storage":"memory","num_replicas":1,"no_ack":true,'
     '"duplicate_window":60000000000,"placement":{"cluster":"c1","tags":["a","b"]},'
     '"republish":{"src":"full.>","dest":"repub.>","headers_only":true},'
     '"deny_delete":true,"deny_purge":true,"description":"all <fields> & more"}'),
    ("stream_create_mirror", "$JS.API.STREAM.CREATE.MIRROR",
     '{"name":"MIRROR","mirror":{"name":"ORDERS","opt_start_seq":5,"filter_subject":"ORDERS"}}'),
    ("stream_create_sources", "$JS.API.STREAM.CREATE.AGG",
     '{"name":"AGG","sources":[{"name":"ORDERS"},{"name":"FULL","opt_start_time":'
     '"2023-01-02T03:04:05.123456789Z","external":{"api":"$JS.x.API","deliver":"dlv"}}]}'),
    ("err_stream_create_different", "$JS.API.STREAM.CREATE.ORDERS",
     '{"name":"ORDERS","max_msgs":5}'),
    ("err_stream_create_mismatch", "$JS.API.STREAM.CREATE.XX", '{"name":"YY"}'),
    ("err_stream_create_bad_json", "$JS.API.STREAM.CREATE.BAD", '{"name":'),
    ("err_stream_create_wrong_type", "$JS.API.STREAM.CREATE.BAD",
     '{"name":"BAD","max_msgs":"x"}'),
    ("err_stream_create_max_age", "$JS.API.STREAM.CREATE.BAD",
     '{"name":"BAD","max_age":1000}'),
    ("err_stream_create_overlap", "$JS.API.STREAM.CREATE.OVER",
     '{"name":"OVER","subjects":["ORDERS"]}'),
    ("err_stream_create_self_overlap", "$JS.API.STREAM.CREATE.SELF",
     '{"name":"SELF","subjects":["a.*","a.b"]}'),
    ("err_stream_create_replicas", "$JS.API.STREAM.CREATE.R3",
     '{"name":"R3","num_replicas":3}'),
    ("err_stream_create_retention", "$JS.API.STREAM.CREATE.BAD",
     '{"name":"BAD","retention":"bogus"}'),
    ("err_stream_info_missing", "$JS.API.STREAM.INFO.NOPE", ""),
    ("err_stream_update_storage", "$JS.API.STREAM.UPDATE.ORDERS",
     '{"name":"ORDERS","storage":"memory"}'),
    ("stream_update_orders", "$JS.API.STREAM.UPDATE.ORDERS",
     '{"name":"ORDERS","subjects":["ORDERS","orders.>"],"max_msgs":100}'),
    ("_pub1", "orders.new", "hello"),
    ("pub_ack_dup_first", "orders.new", "dup", [("Nats-Msg-Id", "m1")]),
    ("pub_ack_dup", "orders.new", "dup", [("Nats-Msg-Id", "m1")]),
    ("err_pub_wrong_last_seq", "orders.new", "x", [("Nats-Expected-Last-Sequence", "1")]),
    ("_pub_kv", "$KV.cfg.db.host", "10.0.0.1"),
    ("err_pub_kv_create_exists", "$KV.cfg.db.host", "x",
     [("Nats-Expected-Last-Subject-Sequence", "0")]),
    ("err_pub_rollup", "orders.new", "x", [("Nats-Rollup", "all")]),
    ("stream_info_orders", "$JS.API.STREAM.INFO.ORDERS", ""),
    ("stream_info_subjects", "$JS.API.STREAM.INFO.ORDERS", '{"subjects_filter":">"}'),
    ("_del", "$JS.API.STREAM.MSG.DELETE.ORDERS", '{"seq":1}'),
    ("stream_info_deleted", "$JS.API.STREAM.INFO.ORDERS", '{"deleted_details":true}'),
    ("stream_names", "$JS.API.STREAM.NAMES", ""),
    ("stream_names_filter", "$JS.API.STREAM.NAMES", '{"subject":"$KV.cfg.x"}'),
    ("stream_names_none", "$JS.API.STREAM.NAMES", '{"subject":"nomatch.x"}'),
    ("stream_list", "$JS.API.STREAM.LIST", '{"offset":4}'),
    ("msg_get", "$JS.API.STREAM.MSG.GET.ORDERS", '{"seq":2}'),
    ("msg_get_last", "$JS.API.STREAM.MSG.GET.KV_cfg", '{"last_by_subj":"$KV.cfg.db.host"}'),
    ("err_msg_get_missing", "$JS.API.STREAM.MSG.GET.ORDERS", '{"seq":99}'),
    ("err_msg_get_empty", "$JS.API.STREAM.MSG.GET.ORDERS", ''),
    ("err_msg_get_both", "$JS.API.STREAM.MSG.GET.ORDERS", '{"seq":1,"last_by_subj":"a"}'),
    ("msg_delete", "$JS.API.STREAM.MSG.DELETE.ORDERS", '{"seq":2}'),
    ("err_msg_delete_missing", "$JS.API.STREAM.MSG.DELETE.ORDERS", '{"seq":2}'),
    ("err_msg_delete_denied", "$JS.API.STREAM.MSG.DELETE.KV_cfg", '{"seq":1}'),
    ("stream_purge", "$JS.API.STREAM.PURGE.ORDERS", ''),
    ("err_stream_purge_both", "$JS.API.STREAM.PURGE.ORDERS", '{"seq":5,"keep":1}'),
    ("err_stream_purge_denied", "$JS.API.STREAM.PURGE.FULL", ''),
    ("consumer_create_durable_pull", "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.dur",
     '{"stream_name":"ORDERS","config":{"durable_name":"dur","ack_policy":"explicit",'
     '"deliver_policy":"all","replay_policy":"instant","filter_subject":"orders.>"}}'),
    ("consumer_create_named_pull", "$JS.API.CONSUMER.CREATE.ORDERS.pull2",
     '{"stream_name":"ORDERS","config":{"name":"pull2","ack_policy":"explicit",'
     '"max_deliver":5,"backoff":[1000000000,2000000000],"max_batch":10,'
     '"max_expires":30000000000,"inactive_threshold":60000000000}}'),
    ("consumer_create_ephemeral_push", "$JS.API.CONSUMER.CREATE.ORDERS",
     '{"stream_name":"ORDERS","config":{"deliver_subject":"_INBOX.push","ack_policy":"none",'
     '"deliver_policy":"last","replay_policy":"instant","flow_control":true,'
     '"idle_heartbeat":5000000000,"headers_only":true,"mem_storage":true,'
     '"num_replicas":1}}'),
    ("consumer_create_kv_watch", "$JS.API.CONSUMER.CREATE.KV_cfg.w1.$KV.cfg.>",
     '{"stream_name":"KV_cfg","config":{"name":"w1","deliver_subject":"_INBOX.w",'
     '"deliver_policy":"last_per_subject","ack_policy":"none","max_deliver":1,'
     '"filter_subject":"$KV.cfg.>","flow_control":true,"idle_heartbeat":5000000000,'
     '"mem_storage":true,"num_replicas":1,"ack_wait":79200000000000}}'),
    ("consumer_info_durable", "$JS.API.CONSUMER.INFO.ORDERS.dur", ""),
    ("consumer_names", "$JS.API.CONSUMER.NAMES.ORDERS", ""),
    ("consumer_list", "$JS.API.CONSUMER.LIST.KV_cfg", ""),
    ("err_consumer_info_missing", "$JS.API.CONSUMER.INFO.ORDERS.nope", ""),
    ("err_consumer_update_policy", "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.dur",
     '{"stream_name":"ORDERS","config":{"durable_name":"dur","ack_policy":"all"}}'),
    ("err_consumer_filter_mismatch", "$JS.API.CONSUMER.CREATE.ORDERS.c2.foo",
     '{"stream_name":"ORDERS","config":{"name":"c2","filter_subject":"bar"}}'),
    ("err_consumer_name_mismatch", "$JS.API.CONSUMER.CREATE.ORDERS",
     '{"stream_name":"ORDERS","config":{"name":"a","durable_name":"b"}}'),
    ("err_consumer_fc_no_hb", "$JS.API.CONSUMER.CREATE.ORDERS",
     '{"stream_name":"ORDERS","config":{"deliver_subject":"x.y","flow_control":true}}'),
    ("err_consumer_hb_pull", "$JS.API.CONSUMER.CREATE.ORDERS",
     '{"stream_name":"ORDERS","config":{"idle_heartbeat":1000000000}}'),
    ("err_consumer_backoff", "$JS.API.CONSUMER.CREATE.ORDERS",
     '{"stream_name":"ORDERS","config":{"backoff":[1000000000],"ack_policy":"explicit"}}'),
    ("err_consumer_filter_subset", "$JS.API.CONSUMER.CREATE.ORDERS",
     '{"stream_name":"ORDERS","config":{"filter_subject":"nope.>"}}'),
    ("err_consumer_policy", "$JS.API.CONSUMER.CREATE.ORDERS",
     '{"stream_name":"ORDERS","config":{"deliver_policy":"by_start_sequence"}}'),
    ("err_consumer_stream_mismatch", "$JS.API.CONSUMER.CREATE.ORDERS",
     '{"stream_name":"OTHER","config":{}}'),
    ("err_consumer_bad_json", "$JS.API.CONSUMER.CREATE.ORDERS",
     '{"stream_name":"ORDERS","config":{"ack_wait":"5s"}}'),
    ("consumer_delete", "$JS.API.CONSUMER.DELETE.ORDERS.pull2", ""),
    ("stream_delete", "$JS.API.STREAM.DELETE.AGG", ""),
    ("err_stream_delete_missing", "$JS.API.STREAM.DELETE.AGG", ""),
    ("account_info", "$JS.API.INFO", ""),
    ("pull_bad_json", "$JS.API.CONSUMER.MSG.NEXT.ORDERS.dur", '{"batch":"x"}'),
    ("pull_bad_json2", "$JS.API.CONSUMER.MSG.NEXT.ORDERS.dur", '{"batch":1.5}'),
    ("pull_bad_syntax", "$JS.API.CONSUMER.MSG.NEXT.ORDERS.dur", '{"batch":1'),
    ("pull_bad_expires", "$JS.API.CONSUMER.MSG.NEXT.ORDERS.dur", '{"expires":"1s"}'),
    ("pull_bad_hb", "$JS.API.CONSUMER.MSG.NEXT.ORDERS.dur",
     '{"batch":1,"expires":1000000000,"idle_heartbeat":600000000}'),
    ("pull_no_wait", "$JS.API.CONSUMER.MSG.NEXT.ORDERS.dur", '{"batch":1,"no_wait":true}'),
]


# Validation cases, replayed in order on a fresh server; every request's
# response goes to validation.jsonl ({"subject","request","response"} per
# line). jetstream_api_test replays the same lines through the library.
LONG = "x" * 256
VALIDATION = [
    # setup
    ("$JS.API.STREAM.CREATE.ORDERS", '{"name":"ORDERS"}'),
    ("$JS.API.STREAM.CREATE.FULL", '{"name":"FULL","subjects":["full.>"],"max_msg_size":4096,'
     '"deny_delete":true,"deny_purge":true,"republish":{"src":"full.>","dest":"repub.>"}}'),
    ("$JS.API.STREAM.CREATE.WQ", '{"name":"WQ","subjects":["wq.>"],"retention":"workqueue"}'),
    ("$JS.API.STREAM.CREATE.ONE", '{"name":"ONE","subjects":["one"],"max_consumers":1}'),
    ("$JS.API.STREAM.CREATE.MIR", '{"name":"MIR","mirror":{"name":"ORDERS"}}'),
    # stream names
    ("$JS.API.STREAM.CREATE.*", '{"name":"*"}'),
    ("$JS.API.STREAM.CREATE." + LONG, '{"name":"%s"}' % LONG),
    ("$JS.API.STREAM.CREATE.a/b", '{"name":"a/b"}'),
    ("$JS.API.STREAM.CREATE.D", '{"name":"D","description":"%s"}' % ("d" * 4097)),
    ("$JS.API.STREAM.CREATE.S", '{"name":"S","sealed":true}'),
    ("$JS.API.STREAM.CREATE.S", '{"name":"S","mirror_direct":true}'),
    # replicas, limits, windows
    ("$JS.API.STREAM.CREATE.S", '{"name":"S","num_replicas":6}'),
    ("$JS.API.STREAM.CREATE.S", '{"name":"S","num_replicas":-1}'),
    ("$JS.API.STREAM.CREATE.S", '{"name":"S","duplicate_window":-5}'),
    ("$JS.API.STREAM.CREATE.S", '{"name":"S","max_age":1000000000,"duplicate_window":2000000000}'),
    ("$JS.API.STREAM.CREATE.S", '{"name":"S","duplicate_window":50000000}'),
    ("$JS.API.STREAM.CREATE.AGE", '{"name":"AGE","max_age":1000000000}'),
    ("$JS.API.STREAM.CREATE.S", '{"name":"S","deny_purge":true,"allow_rollup_hdrs":true}'),
    ("$JS.API.STREAM.CREATE.S", '{"name":"S","discard_new_per_subject":true}'),
    ("$JS.API.STREAM.CREATE.S", '{"name":"S","discard":"new","discard_new_per_subject":true}'),
    ("$JS.API.STREAM.CREATE.DNP", '{"name":"DNP","discard":"NEW","discard_new_per_subject":true,'
     '"max_msgs_per_subject":1}'),
    ("$JS.API.STREAM.CREATE.S", '{"name":"S","storage":"tape"}'),
    ("$JS.API.STREAM.CREATE.S", '{"name":"S","max_msg_size":3000000000}'),
    ("$JS.API.STREAM.CREATE.S", '[1,2]'),
    ("$JS.API.STREAM.CREATE.S", ''),
    ("$JS.API.STREAM.CREATE.CASE", '{"NAME":"CASE","Max_Msgs":7,"unknown":{"a":[1]}}'),
    # subjects
    ("$JS.API.STREAM.CREATE.S", '{"name":"S","subjects":["a","a"]}'),
    ("$JS.API.STREAM.CREATE.S", '{"name":"S","subjects":["$JS.API.x"]}'),
    ("$JS.API.STREAM.CREATE.S", '{"name":"S","subjects":["a..b"]}'),
    ("$JS.API.STREAM.CREATE.S", '{"name":"S","subjects":["b.>","b.c.*"]}'),
    ("$JS.API.STREAM.CREATE.S", '{"name":"S","subjects":["full.x"]}'),
    # mirrors and sources
    ("$JS.API.STREAM.CREATE.M2", '{"name":"M2","subjects":["m2"],"mirror":{"name":"ORDERS"}}'),
    ("$JS.API.STREAM.CREATE.M2", '{"name":"M2","mirror":{"name":"ORDERS"},"sources":[{"name":"FULL"}]}'),
    ("$JS.API.STREAM.CREATE.M2", '{"name":"M2","max_msg_size":100,"mirror":{"name":"FULL"}}'),
    ("$JS.API.STREAM.CREATE.M2", '{"name":"M2","mirror":{"name":"FULL","filter_subject":"zzz"}}'),
    ("$JS.API.STREAM.CREATE.M2", '{"name":"M2","max_msg_size":100,"sources":[{"name":"FULL"}]}'),
    ("$JS.API.STREAM.CREATE.M2", '{"name":"M2","sources":[{"name":"FULL","filter_subject":"zzz"}]}'),
    ("$JS.API.STREAM.CREATE.M2", '{"name":"M2","sources":[{"name":"FULL","external":'
     '{"api":"$JS.y.API","deliver":"dl.*"}}]}'),
    ("$JS.API.STREAM.CREATE.M2", '{"name":"M2","sources":[{"name":"FULL","external":'
     '{"api":"$JS.y.API","deliver":"full"}}]}'),
    ("$JS.API.STREAM.CREATE.M2", '{"name":"M2","sources":[{"name":"X","external":'
     '{"api":"$JS.API","deliver":"dl"}}]}'),
    ("$JS.API.STREAM.CREATE.M2", '{"name":"M2","sources":[{"name":"X","external":'
     '{"api":"a.*","deliver":"dl"}}]}'),
    ("$JS.API.STREAM.CREATE.CA", '{"name":"CA","sources":[{"name":"CB"}]}'),
    ("$JS.API.STREAM.CREATE.CB", '{"name":"CB","sources":[{"name":"CA"}]}'),
    ("$JS.API.STREAM.CREATE.M3", '{"name":"M3","mirror":{"name":"FULL"},"max_msg_size":8000}'),
    # republish
    ("$JS.API.STREAM.CREATE.R", '{"name":"R","subjects":["r.>"],"republish":{"src":"q.>","dest":"x.>"}}'),
    ("$JS.API.STREAM.CREATE.R", '{"name":"R","subjects":["r.>"],"republish":{"dest":"r.x.>"}}'),
    ("$JS.API.STREAM.CREATE.R", '{"name":"R","subjects":["r.*"],"republish":{"src":"r.*","dest":"x"}}'),
    ("$JS.API.STREAM.CREATE.R", '{"name":"R","subjects":["r.*"],"republish":{"src":"r.*","dest":"x.$1"}}'),
    # updates
    ("$JS.API.STREAM.UPDATE.ORDERS", '{"name":"ORDERS","max_consumers":5}'),
    ("$JS.API.STREAM.UPDATE.ORDERS", '{"name":"ORDERS","retention":"interest"}'),
    ("$JS.API.STREAM.UPDATE.FULL", '{"name":"FULL","subjects":["full.>"],"max_msg_size":4096,'
     '"deny_purge":true,"republish":{"src":"full.>","dest":"repub.>"}}'),
    ("$JS.API.STREAM.UPDATE.FULL", '{"name":"FULL","subjects":["full.>"],"max_msg_size":4096,'
     '"deny_delete":true,"republish":{"src":"full.>","dest":"repub.>"}}'),
    ("$JS.API.STREAM.UPDATE.FULL", '{"name":"FULL","subjects":["full.>"],"max_msg_size":4096,'
     '"deny_delete":true,"deny_purge":true}'),
    ("$JS.API.STREAM.UPDATE.MIR", '{"name":"MIR","mirror":{"name":"FULL"}}'),
    ("$JS.API.STREAM.UPDATE.ORDERS", '{"name":"OTHER"}'),
    ("$JS.API.STREAM.UPDATE.NOPE", '{"name":"NOPE"}'),
    ("$JS.API.STREAM.UPDATE.AGE", '{"name":"AGE","max_age":1000000000,"sealed":true}'),
    ("$JS.API.STREAM.UPDATE.AGE", '{"name":"AGE","max_age":1000000000}'),
    ("$JS.API.STREAM.UPDATE.ORDERS", '{"name":"ORDERS","subjects":["full.a"]}'),
    # consumers
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"deliver_subject":"a.*"}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"deliver_subject":"ORDERS"}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"deliver_subject":"d","max_waiting":5}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"deliver_subject":"d","max_ack_pending":5}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"deliver_subject":"d","idle_heartbeat":50000000}}'),
    ("$JS.API.CONSUMER.CREATE.WQ", '{"stream_name":"WQ","config":{"ack_policy":"none"}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"rate_limit_bps":100}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"max_waiting":-1}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"flow_control":true}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"max_batch":-1}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"max_expires":500000}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"direct":true}}'),
    ("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.dd", '{"stream_name":"ORDERS","config":{"durable_name":"dd","direct":true,"deliver_subject":"d"}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"description":"%s"}}' % ("d" * 4097)),
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"num_replicas":3}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"num_replicas":-1}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"opt_start_seq":3}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"deliver_policy":"new","opt_start_time":"2023-01-01T00:00:00Z"}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"deliver_policy":"by_start_time"}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"deliver_policy":"by_start_time","opt_start_time":"2023-01-01T00:00:00Z","opt_start_seq":2}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"deliver_policy":"last_per_subject"}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"deliver_policy":"last","opt_start_seq":1}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"deliver_subject":"d","sample_freq":"abc"}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"deliver_subject":"d","sample_freq":"-5%"}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"deliver_policy":"sometimes"}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS.a", '{"stream_name":"ORDERS","config":{"durable_name":"b"}}'),
    ("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.a", '{"stream_name":"ORDERS","config":{"durable_name":"a","name":"b"}}'),
    ("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.a", '{"stream_name":"ORDERS","config":{}}'),
    ("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.a", '{"stream_name":"ORDERS","config":{"durable_name":"b"}}'),
    ("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS", '{"stream_name":"ORDERS","config":{"durable_name":"b"}}'),
    ("$JS.API.CONSUMER.CREATE.ORDERS.a\\b", '{"stream_name":"ORDERS","config":{}}'),
    ("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS." + LONG, '{"stream_name":"ORDERS","config":{"durable_name":"%s"}}' % LONG),
    ("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.a*", '{"stream_name":"ORDERS","config":{"durable_name":"a*"}}'),
    # workqueue
    ("$JS.API.CONSUMER.DURABLE.CREATE.WQ.c1", '{"stream_name":"WQ","config":{"durable_name":"c1","ack_policy":"explicit","filter_subject":"wq.a"}}'),
    ("$JS.API.CONSUMER.DURABLE.CREATE.WQ.c2", '{"stream_name":"WQ","config":{"durable_name":"c2","ack_policy":"explicit"}}'),
    ("$JS.API.CONSUMER.DURABLE.CREATE.WQ.c3", '{"stream_name":"WQ","config":{"durable_name":"c3","ack_policy":"explicit","filter_subject":"wq.>"}}'),
    ("$JS.API.CONSUMER.DURABLE.CREATE.WQ.c4", '{"stream_name":"WQ","config":{"durable_name":"c4","ack_policy":"all","filter_subject":"wq.b"}}'),
    ("$JS.API.CONSUMER.DURABLE.CREATE.WQ.c5", '{"stream_name":"WQ","config":{"durable_name":"c5","ack_policy":"explicit","filter_subject":"wq.b","deliver_policy":"last"}}'),
    # max consumers
    ("$JS.API.CONSUMER.DURABLE.CREATE.ONE.o1", '{"stream_name":"ONE","config":{"durable_name":"o1"}}'),
    ("$JS.API.CONSUMER.DURABLE.CREATE.ONE.o2", '{"stream_name":"ONE","config":{"durable_name":"o2"}}'),
    # updates of an existing consumer
    ("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.u", '{"stream_name":"ORDERS","config":{"durable_name":"u","ack_policy":"explicit","deliver_subject":"push.u","idle_heartbeat":1000000000}}'),
    ("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.u", '{"stream_name":"ORDERS","config":{"durable_name":"u","ack_policy":"explicit","deliver_subject":"push.u","idle_heartbeat":1000000000,"description":"now described","max_ack_pending":7,"ack_wait":9000000000,"max_deliver":9}}'),
    ("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.u", '{"stream_name":"ORDERS","config":{"durable_name":"u","ack_policy":"explicit","deliver_subject":"push.u"}}'),
    ("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.u", '{"stream_name":"ORDERS","config":{"durable_name":"u","ack_policy":"explicit","idle_heartbeat":1000000000}}'),
    ("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.u", '{"stream_name":"ORDERS","config":{"durable_name":"u","ack_policy":"explicit","deliver_subject":"push.u","idle_heartbeat":1000000000,"deliver_policy":"new"}}'),
    ("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.u", '{"stream_name":"ORDERS","config":{"durable_name":"u","ack_policy":"explicit","deliver_subject":"push.u","idle_heartbeat":1000000000,"replay_policy":"original"}}'),
    ("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.p", '{"stream_name":"ORDERS","config":{"durable_name":"p","ack_policy":"explicit"}}'),
    ("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.p", '{"stream_name":"ORDERS","config":{"durable_name":"p","ack_policy":"explicit","max_waiting":10}}'),
    ("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.p", '{"stream_name":"ORDERS","config":{"durable_name":"p","ack_policy":"explicit","deliver_subject":"push.p"}}'),
    ("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.p", '{"stream_name":"ORDERS","config":{"durable_name":"p","ack_policy":"explicit","max_deliver":2,"backoff":[1000000000,2000000000]}}'),
]


def capture_validation(c):
    import json
    with open(os.path.join(HERE, "validation.jsonl"), "w") as f:
        for subject, payload in VALIDATION:
            try:
                hdr, data = c.request(subject, payload)
            except TimeoutError:  # nats-server did not answer (recorded as "")
                hdr, data = b"", b""
                c.buf = b""
            f.write(json.dumps({"subject": subject, "request": payload,
                                "response": data.decode()}) + "\n")


def with_server(server, fn):
    """Runs fn(client) against a fresh nats-server; stops it (by PID) after."""
    port = free_port()
    store = tempfile.mkdtemp(prefix="golden-js-")
    proc = subprocess.Popen([server, "-js", "-n", "golden", "-a", "127.0.0.1", "-p", str(port),
                             "-sd", store], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while True:
            try:
                c = Client(port)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        fn(c)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(store, ignore_errors=True)


def run_steps(c):
    for step in STEPS:
        name, subject, payload = step[:3]
        headers = step[3] if len(step) > 3 else None
        hdr, data = c.request(subject, payload, headers)
        if name.startswith("_"):
            continue
        if name.startswith("pull_"):
            with open(os.path.join(HERE, name + ".status"), "wb") as f:
                f.write(hdr.split(b"\r\n")[0] + b"\n")
            continue
        with open(os.path.join(HERE, name + ".json"), "wb") as f:
            f.write(data + b"\n")


def main():
    server = sys.argv[1] if len(sys.argv) > 1 else shutil.which("nats-server")
    if os.environ.get("CAPTURE_VALIDATION_ONLY") != "1":
        with_server(server, run_steps)
    with_server(server, capture_validation)


if __name__ == "__main__":
    main()
