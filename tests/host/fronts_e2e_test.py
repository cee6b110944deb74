#!/usr/bin/env python3
"""The login fronts of `authhost serve` end to end, with mail clients written
elsewhere: Python's poplib, imaplib and smtplib, curl and `openssl s_client`,
plus raw sockets for what those clients will not send (bad input, SASL-IR,
pipelined STARTTLS).

Each test class starts its own `authhost serve` on free loopback ports in a
data directory of its own and stops it afterwards.

    fronts_e2e_test.py --authhost PATH [unittest arguments, e.g. a class name]
"""
import base64
import hashlib
import hmac
import imaplib
import os
import poplib
import queue
import re
import resource
import selectors
import shutil
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

AUTHHOST = None
MAIN = "example.test"
POSTMASTER_PASSWORD = "postmaster-secret-1"
ALL_FRONTS = ("pop3", "pop3s", "imap", "imaps", "submission", "smtps")
IO_TIMEOUT = 30  # seconds for one answer; generous for a loaded CI machine under ASan


# ---------------------------------------------------------------------------
# The server and its data directory

class Authhost:
    """One data directory and at most one `authhost serve` on it."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="authhost-fronts-")
        self.data = os.path.join(self.dir, "data")
        self.proc = None
        self.ports = {}  # "imap" -> port, "imap@ADDRESS" -> port
        self.stdout_lines = []
        self.stderr_path = os.path.join(self.dir, "serve.log")
        self.run("init", "--main-domain", MAIN, "--postmaster-password", POSTMASTER_PASSWORD)

    def run(self, *args, input=None, check=True):
        r = subprocess.run([AUTHHOST, "--data", self.data, *args], input=input, capture_output=True, text=True,
                           timeout=120)
        if check and r.returncode != 0:
            raise AssertionError("authhost %s failed (%d):\n%s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
        return r

    def settings(self, *assignments, domain=None, account=None):
        args = ["settings", "set", *assignments]
        if domain:
            args += ["--domain", domain]
        if account:
            args += ["--account", account]
        self.run(*args)

    def account(self, address, password=None):
        if password is None:
            self.run("account", "create", address)
        else:
            self.run("account", "create", address, "--password-stdin", input=password)

    def start(self, fronts, extra=()):
        """fronts: (proto, address) pairs."""
        args = [AUTHHOST, "--data", self.data, "serve", "--port", "0"]
        for proto, address in fronts:
            args += ["--front", "%s=%s:0" % (proto, address)]
        args += list(extra)
        self._stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._stderr, text=True)
        lines = queue.Queue()

        def drain():
            for line in self.proc.stdout:
                self.stdout_lines.append(line)
                lines.put(line)
            lines.put(None)

        threading.Thread(target=drain, daemon=True).start()
        wanted = {"%s@%s" % f for f in fronts}
        admin = False
        deadline = time.monotonic() + 60
        while wanted or not admin:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                raise AssertionError("authhost serve did not list its fronts; stdout: %r; log:\n%s"
                                     % (self.stdout_lines, self.log()))
            m = re.match(r"^(\w+) listening on (.+):(\d+)$", line.strip())
            if m:
                key = "%s@%s" % (m.group(1), m.group(2))
                wanted.discard(key)
                self.ports[key] = int(m.group(3))
                self.ports.setdefault(m.group(1), int(m.group(3)))
            elif line.startswith("listening on "):
                admin = True

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=20)
            self.proc.stdout.close()
            self._stderr.close()
            self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read()[-6000:]
        except OSError:
            return ""

    @property
    def test_certificate(self):
        """The server-wide test certificate `serve` made at its start."""
        return os.path.join(self.data, "Settings", "PKI", "TestCertificate.pem")


# ---------------------------------------------------------------------------
# Clients

class NamedContext:
    """An SSL context that always verifies (and asks by SNI for) one name,
    whatever address the client library connects to."""

    def __init__(self, context, name):
        self.context = context
        self.name = name

    def wrap_socket(self, sock, server_hostname=None, **kwargs):
        return self.context.wrap_socket(sock, server_hostname=self.name, **kwargs)


def tls_context(cafile, name=MAIN, cert=None, key=None):
    ctx = ssl.create_default_context(cafile=cafile)
    # The test certificate and the self-signed ones are anchors themselves.
    ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    if cert:
        ctx.load_cert_chain(cert, key)
    return NamedContext(ctx, name)


class Conn:
    """A line-oriented raw client, plain or TLS."""

    def __init__(self, port, address="127.0.0.1", source=None, context=None, timeout=IO_TIMEOUT):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        if source:
            self.sock.bind((source, 0))
        self.sock.connect((address, port))
        if context is not None:
            self.sock = context.wrap_socket(self.sock)
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the server; unread: %r" % self.buf)
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line + b"\n"

    def until(self, predicate):
        lines = []
        while True:
            lines.append(self.line())
            if predicate(lines[-1]):
                return lines

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.line()

    def imap(self, tag, command):
        """Sends a command; the lines up to its tagged answer or a continuation."""
        self.send("%s %s\r\n" % (tag, command))
        return self.until(lambda l: l.startswith(tag.encode() + b" ") or l.startswith(b"+"))

    def pending(self, wait):
        """Whatever arrives within `wait` seconds (b"" at a close)."""
        data = self.buf
        self.buf = b""
        deadline = time.monotonic() + wait
        self.sock.settimeout(0.2)
        try:
            while time.monotonic() < deadline:
                try:
                    chunk = self.sock.recv(65536)
                except (socket.timeout, ssl.SSLWantReadError):
                    continue
                if not chunk:
                    break
                data += chunk
        finally:
            self.sock.settimeout(IO_TIMEOUT)
        return data

    def starttls(self, context):
        assert not self.buf, self.buf
        self.sock = context.wrap_socket(self.sock)

    def closed(self, wait=IO_TIMEOUT):
        """True when the server closes the connection within `wait`; what it
        sent before is ignored."""
        deadline = time.monotonic() + wait
        self.sock.settimeout(1)
        while time.monotonic() < deadline:
            try:
                if not self.sock.recv(65536):
                    return True
            except (socket.timeout, ssl.SSLWantReadError):
                continue
            except (ConnectionError, ssl.SSLError, OSError):
                return True
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def b64(text):
    if isinstance(text, str):
        text = text.encode()
    return base64.b64encode(text).decode()


def plain_ir(user, password):
    return b64("\0%s\0%s" % (user, password))


def cram_answer(challenge_b64, user, password):
    challenge = base64.b64decode(challenge_b64)
    return b64("%s %s" % (user, hmac.new(password.encode(), challenge, "md5").hexdigest()))


def curl(*args, timeout=60):
    r = subprocess.run(["curl", "-sS", "-v", "--max-time", "30", *args], capture_output=True, text=True,
                       timeout=timeout)
    return r


def s_client(*args, input="", timeout=60):
    return subprocess.run(["openssl", "s_client", *args], input=input, capture_output=True, text=True,
                          timeout=timeout)


def openssl(*args, cwd=None):
    r = subprocess.run(["openssl", *args], capture_output=True, text=True, cwd=cwd, timeout=120)
    if r.returncode != 0:
        raise AssertionError("openssl %s failed:\n%s" % (" ".join(args), r.stderr))
    return r


def non_loopback_address():
    """An IPv4 address of this machine other than loopback (no packet is sent)."""
    for probe in ("192.0.2.1", "198.51.100.1", "10.255.255.254", "8.8.8.8"):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.connect((probe, 9))
            address = s.getsockname()[0]
        except OSError:
            continue
        finally:
            s.close()
        if not address.startswith("127.") and address != "0.0.0.0":
            return address
    try:
        for address in socket.gethostbyname_ex(socket.gethostname())[2]:
            if not address.startswith("127."):
                return address
    except OSError:
        pass
    raise AssertionError("this machine has no IPv4 address besides loopback; the client address check needs one")


# ---------------------------------------------------------------------------

class FrontsCase(unittest.TestCase):
    """Starts one serve per class: prepare() before it, on the data directory."""

    FRONTS = tuple((f, "127.0.0.1") for f in ALL_FRONTS)
    SERVE_ARGS = ()

    @classmethod
    def setUpClass(cls):
        cls.host = Authhost()
        try:
            cls.host.settings("FailureAnswerTime=0ms", "PasswordEncryption=clear", "FailedLoginLimit=0")
            cls.prepare()
            cls.host.start(cls.fronts(), cls.SERVE_ARGS)
            cls.ca = cls.host.test_certificate
            cls.ctx = tls_context(cls.ca)
        except BaseException:
            cls.host.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.host.stop()

    @classmethod
    def prepare(cls):
        pass

    @classmethod
    def fronts(cls):
        return cls.FRONTS

    def tearDown(self):
        self.assertTrue(self.host.alive(), "authhost serve ended:\n" + self.host.log())

    def port(self, proto):
        return self.host.ports[proto]

    # Logins that must work after bad input, one per protocol.
    def assert_imap_login(self, user="joe", password="joe-secret", source=None):
        with Conn(self.port("imap"), source=source) as c:
            self.assertTrue(c.line().startswith(b"* OK"))
            answer = c.imap("a", "LOGIN %s %s" % (user, password))[-1]
            self.assertTrue(answer.startswith(b"a OK"), answer)

    def assert_pop3_login(self, user="joe", password="joe-secret"):
        with Conn(self.port("pop3")) as c:
            self.assertTrue(c.line().startswith(b"+OK"))
            self.assertTrue(c.cmd("USER " + user).startswith(b"+OK"))
            answer = c.cmd("PASS " + password)
            self.assertTrue(answer.startswith(b"+OK"), answer)

    def assert_smtp_login(self, user="joe", password="joe-secret"):
        with Conn(self.port("submission")) as c:
            self.assertTrue(c.line().startswith(b"220"))
            c.send("EHLO client.test\r\n")
            c.until(lambda l: l.startswith(b"250 "))
            answer = c.cmd("AUTH PLAIN " + plain_ir(user, password))
            self.assertTrue(answer.startswith(b"235"), answer)


# ---------------------------------------------------------------------------

class LoginMethodsTest(FrontsCase):
    """Every method on every front, right and wrong passwords, hiding."""

    @classmethod
    def prepare(cls):
        cls.host.account("joe@" + MAIN, "joe-secret")

    # --- POP3 ---------------------------------------------------------------
    def pop3_clients(self):
        yield "pop3", poplib.POP3("127.0.0.1", self.port("pop3"), timeout=IO_TIMEOUT)
        yield "pop3s", poplib.POP3_SSL("127.0.0.1", self.port("pop3s"), context=self.ctx, timeout=IO_TIMEOUT)
        p = poplib.POP3("127.0.0.1", self.port("pop3"), timeout=IO_TIMEOUT)
        p.stls(self.ctx)
        yield "pop3+stls", p

    def test_pop3_user_pass_and_apop_with_poplib(self):
        for name, p in self.pop3_clients():
            with self.subTest(name):
                try:
                    p.user("joe")
                    self.assertTrue(p.pass_("joe-secret").startswith(b"+OK"))
                    self.assertEqual(p.stat(), (0, 0))
                finally:
                    p.quit()
        for name, p in self.pop3_clients():
            with self.subTest(name + " apop"):
                try:
                    self.assertTrue(p.apop("joe", "joe-secret").startswith(b"+OK"))
                    self.assertEqual(p.list()[1], [])
                finally:
                    p.quit()
        p = poplib.POP3("127.0.0.1", self.port("pop3"), timeout=IO_TIMEOUT)
        try:
            p.user("joe")
            with self.assertRaises(poplib.error_proto) as e:
                p.pass_("wrong")
            self.assertTrue(e.exception.args[0].startswith(b"-ERR [AUTH]"), e.exception.args)
            with self.assertRaises(poplib.error_proto) as e:
                p.apop("joe", "wrong")
            self.assertTrue(e.exception.args[0].startswith(b"-ERR [AUTH]"), e.exception.args)
        finally:
            p.close()

    def test_pop3_sasl_methods_with_and_without_initial_response(self):
        for proto, ctx in (("pop3", None), ("pop3s", self.ctx)):
            for password, good in (("joe-secret", True), ("wrong", False)):
                expected = b"+OK" if good else b"-ERR [AUTH]"
                with self.subTest(proto=proto, good=good):
                    with Conn(self.port(proto), context=ctx) as c:
                        c.line()
                        self.assertTrue(c.cmd("AUTH PLAIN " + plain_ir("joe", password)).startswith(expected))
                    with Conn(self.port(proto), context=ctx) as c:
                        c.line()
                        self.assertTrue(c.cmd("AUTH PLAIN").startswith(b"+ "))
                        self.assertTrue(c.cmd(plain_ir("joe", password)).startswith(expected))
                    with Conn(self.port(proto), context=ctx) as c:
                        c.line()
                        self.assertEqual(base64.b64decode(c.cmd("AUTH LOGIN")[2:]), b"Username:")
                        self.assertTrue(c.cmd(b64("joe")).startswith(b"+ "))
                        self.assertTrue(c.cmd(b64(password)).startswith(expected))
                    with Conn(self.port(proto), context=ctx) as c:
                        c.line()
                        self.assertTrue(c.cmd("AUTH LOGIN " + b64("joe")).startswith(b"+ "))
                        self.assertTrue(c.cmd(b64(password)).startswith(expected))
                    with Conn(self.port(proto), context=ctx) as c:
                        c.line()
                        challenge = c.cmd("AUTH CRAM-MD5")
                        self.assertTrue(challenge.startswith(b"+ "), challenge)
                        answer = c.cmd(cram_answer(challenge[2:].strip(), "joe", password))
                        self.assertTrue(answer.startswith(expected), answer)
                        if good:
                            self.assertEqual(c.cmd("STAT"), b"+OK 0 0\r\n")

    # --- IMAP ---------------------------------------------------------------
    def imap_clients(self):
        yield "imap", imaplib.IMAP4("127.0.0.1", self.port("imap"), timeout=IO_TIMEOUT)
        yield "imaps", imaplib.IMAP4_SSL("127.0.0.1", self.port("imaps"), ssl_context=self.ctx, timeout=IO_TIMEOUT)
        m = imaplib.IMAP4("127.0.0.1", self.port("imap"), timeout=IO_TIMEOUT)
        self.assertEqual(m.starttls(self.ctx)[0], "OK")
        yield "imap+starttls", m

    def test_imap_with_imaplib(self):
        methods = {
            "LOGIN": lambda m, pw: m.login("joe", pw),
            "CRAM-MD5": lambda m, pw: m.login_cram_md5("joe", pw),
            "PLAIN": lambda m, pw: m.authenticate("PLAIN", lambda _: "\0joe\0" + pw),
            "LOGIN-SASL": lambda m, pw: m.authenticate(
                "LOGIN", lambda challenge: "joe" if challenge == b"Username:" else pw),
        }
        for method, do in methods.items():
            for name, m in self.imap_clients():
                with self.subTest(client=name, method=method):
                    try:
                        self.assertEqual(do(m, "joe-secret")[0], "OK")
                        self.assertEqual(m.select("INBOX")[0], "OK")
                        self.assertEqual(m.list()[0], "OK")
                    finally:
                        m.logout()
            m = imaplib.IMAP4("127.0.0.1", self.port("imap"), timeout=IO_TIMEOUT)
            try:
                with self.assertRaises(imaplib.IMAP4.error) as e:
                    do(m, "wrong")
                self.assertIn("[AUTHENTICATIONFAILED]", str(e.exception))
            finally:
                m.shutdown()

    def test_imap_sasl_ir_on_the_wire(self):
        for proto, ctx in (("imap", None), ("imaps", self.ctx)):
            with self.subTest(proto), Conn(self.port(proto), context=ctx) as c:
                greeting = c.line()
                self.assertIn(b"SASL-IR", greeting)
                self.assertIn(b"AUTH=PLAIN", greeting)
                self.assertNotIn(b"AUTH=EXTERNAL", greeting)  # no client certificate
                answer = c.imap("a", "AUTHENTICATE PLAIN " + plain_ir("joe", "wrong"))[-1]
                self.assertTrue(answer.startswith(b"a NO [AUTHENTICATIONFAILED]"), answer)
                answer = c.imap("b", "AUTHENTICATE LOGIN " + b64("joe"))
                self.assertTrue(answer[-1].startswith(b"+ "), answer)
                self.assertTrue(c.cmd(b64("joe-secret")).startswith(b"b OK"))
            with self.subTest(proto + " EXTERNAL without certificate"), Conn(self.port(proto), context=ctx) as c:
                c.line()
                answer = c.imap("a", "AUTHENTICATE EXTERNAL =")[-1]
                self.assertTrue(answer.startswith(b"a NO"), answer)

    # --- SMTP ---------------------------------------------------------------
    def smtp_clients(self):
        s = smtplib.SMTP("127.0.0.1", self.port("submission"), timeout=IO_TIMEOUT)
        s.ehlo("client.test")
        yield "submission", s
        s = smtplib.SMTP_SSL("127.0.0.1", self.port("smtps"), context=self.ctx, timeout=IO_TIMEOUT)
        s.ehlo("client.test")
        yield "smtps", s
        s = smtplib.SMTP("127.0.0.1", self.port("submission"), timeout=IO_TIMEOUT)
        s.ehlo("client.test")
        self.assertEqual(s.starttls(context=self.ctx)[0], 220)
        s.ehlo("client.test")
        yield "submission+starttls", s

    def test_smtp_with_smtplib(self):
        for method in ("PLAIN", "LOGIN", "CRAM-MD5"):
            for name, s in self.smtp_clients():
                with self.subTest(client=name, method=method):
                    try:
                        self.assertIn(method, s.esmtp_features["auth"].split())
                        with self.assertRaises(smtplib.SMTPSenderRefused) as e:
                            s.sendmail("joe@" + MAIN, ["x@" + MAIN], b"Subject: x\r\n\r\nx\r\n")
                        self.assertEqual(e.exception.smtp_code, 530)
                        s.esmtp_features["auth"] = method
                        self.assertEqual(s.login("joe", "joe-secret")[0], 235)
                        with self.assertRaises(smtplib.SMTPException) as e:
                            s.sendmail("joe@" + MAIN, ["x@" + MAIN], b"Subject: x\r\n\r\nx\r\n")
                        code = getattr(e.exception, "smtp_code", None)
                        self.assertTrue(code is not None and 500 <= code < 600, e.exception)
                    finally:
                        s.quit()
            for name, s in self.smtp_clients():
                with self.subTest(client=name, method=method, password="wrong"):
                    try:
                        s.esmtp_features["auth"] = method
                        with self.assertRaises(smtplib.SMTPAuthenticationError) as e:
                            s.login("joe", "wrong")
                        self.assertEqual(e.exception.smtp_code, 535)
                        self.assertTrue(e.exception.smtp_error.startswith(b"5.7.8"), e.exception.smtp_error)
                    finally:
                        s.close()

    def test_smtp_with_and_without_initial_response(self):
        for ir in (True, False):
            for method, auth in (("PLAIN", "auth_plain"), ("LOGIN", "auth_login"), ("CRAM-MD5", "auth_cram_md5")):
                with self.subTest(method=method, initial_response=ir):
                    s = smtplib.SMTP_SSL("127.0.0.1", self.port("smtps"), context=self.ctx, timeout=IO_TIMEOUT)
                    try:
                        s.ehlo("client.test")
                        s.user, s.password = "joe", "joe-secret"
                        code, _ = s.auth(method, getattr(s, auth), initial_response_ok=ir)
                        self.assertEqual(code, 235)
                    finally:
                        s.quit()
        with Conn(self.port("submission")) as c:
            c.line()
            c.send("EHLO client.test\r\n")
            c.until(lambda l: l.startswith(b"250 "))
            self.assertTrue(c.cmd("AUTH CRAM-MD5 " + b64("x")).startswith(b"501"))

    # --- curl ---------------------------------------------------------------
    def curl_login(self, proto, scheme, options, password="joe-secret", extra=()):
        port = self.port(proto)
        args = ["--cacert", self.ca, "--resolve", "%s:%d:127.0.0.1" % (MAIN, port), "--user", "joe:" + password,
                *extra]
        if options:
            args += ["--login-options", options]
        if scheme == "smtp" or scheme == "smtps":
            body = os.path.join(self.host.dir, "message.txt")
            with open(body, "w") as f:
                f.write("Subject: test\r\n\r\nbody\r\n")
            args += ["--mail-from", "joe@" + MAIN, "--mail-rcpt", "x@" + MAIN, "-T", body]
        return curl(*args, "%s://%s:%d/" % (scheme, MAIN, port))

    def test_curl_every_front_and_method(self):
        cases = [("pop3", "pop3", ["--ssl-reqd"]), ("pop3s", "pop3s", []), ("imap", "imap", ["--ssl-reqd"]),
                 ("imaps", "imaps", []), ("submission", "smtp", ["--ssl-reqd"]), ("smtps", "smtps", [])]
        methods = ["AUTH=PLAIN", "AUTH=LOGIN", "AUTH=CRAM-MD5", None]
        for proto, scheme, extra in cases:
            for options in methods + (["AUTH=+APOP"] if scheme.startswith("pop3") else []):
                with self.subTest(proto=proto, options=options):
                    r = self.curl_login(proto, scheme, options, extra=extra)
                    if scheme.startswith("smtp"):
                        # Authenticated, then the message is refused with a 5xx.
                        self.assertIn("< 235", r.stderr)
                        self.assertNotEqual(r.returncode, 0)
                        self.assertRegex(r.stderr, r"< 5\d\d ")
                    else:
                        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
                with self.subTest(proto=proto, options=options, password="wrong"):
                    r = self.curl_login(proto, scheme, options, password="wrong", extra=extra)
                    self.assertEqual(r.returncode, 67, r.stderr[-3000:])  # CURLE_LOGIN_DENIED
        # Without --ssl-reqd on the plain fronts: curl logs in in the clear.
        for proto, scheme in (("pop3", "pop3"), ("imap", "imap")):
            with self.subTest(proto=proto, tls=False):
                r = self.curl_login(proto, scheme, "AUTH=PLAIN")
                self.assertEqual(r.returncode, 0, r.stderr[-3000:])
                self.assertNotIn("TLS handshake", r.stderr)
        # The test certificate is for the main domain only.
        port = self.port("imaps")
        r = curl("--cacert", self.ca, "--resolve", "other.test:%d:127.0.0.1" % port, "--user", "joe:joe-secret",
                 "imaps://other.test:%d/" % port)
        self.assertEqual(r.returncode, 60, r.stderr[-2000:])  # CURLE_PEER_FAILED_VERIFICATION

    # --- openssl s_client ---------------------------------------------------
    def test_openssl_starttls_and_test_certificate(self):
        for proto, starttls in (("pop3", "pop3"), ("imap", "imap"), ("submission", "smtp"), ("imaps", None),
                                ("pop3s", None), ("smtps", None)):
            with self.subTest(proto):
                common = ["-connect", "127.0.0.1:%d" % self.port(proto), "-servername", MAIN]
                if starttls:
                    common += ["-starttls", starttls]
                r = s_client(*common, "-showcerts", "-CAfile", self.ca, "-partial_chain", "-verify_return_error",
                             "-verify_hostname", MAIN)
                self.assertEqual(r.returncode, 0, r.stdout[-2000:] + r.stderr[-2000:])
                self.assertIn("Verify return code: 0 (ok)", r.stdout)
                self.assertRegex(r.stdout, r" 0 s:CN ?= ?%s\n" % re.escape(MAIN))
                self.assertRegex(r.stdout, r"i:O ?= ?authd, CN ?= ?authd test certificate authority")
                # Without the certificate as an anchor, verification fails.
                r = s_client(*common, "-verify_return_error")
                self.assertNotEqual(r.returncode, 0)
                self.assertNotIn("Verify return code: 0 (ok)", r.stdout)

    def test_openssl_s_client_logs_in_after_starttls(self):
        r = s_client("-connect", "127.0.0.1:%d" % self.port("imap"), "-starttls", "imap", "-crlf", "-ign_eof",
                     "-quiet", input="a LOGIN joe joe-secret\nb LOGOUT\n")
        self.assertIn("a OK", r.stdout, r.stderr[-2000:])
        r = s_client("-connect", "127.0.0.1:%d" % self.port("pop3"), "-starttls", "pop3", "-crlf", "-ign_eof",
                     "-quiet", input="USER joe\nPASS joe-secret\nSTAT\nQUIT\n")
        self.assertIn("+OK 0 0", r.stdout, r.stderr[-2000:])

    # --- name-harvesting protection ----------------------------------------
    def test_unknown_names_and_wrong_passwords_answered_alike(self):
        def pop3(user):
            with Conn(self.port("pop3")) as c:
                c.line()
                c.cmd("USER " + user)
                first = c.cmd("PASS wrong-password")
                return first, c.cmd("AUTH PLAIN " + plain_ir(user, "wrong-password"))

        def imap(user):
            with Conn(self.port("imaps"), context=self.ctx) as c:
                c.line()
                return (c.imap("a", "LOGIN %s wrong-password" % user)[-1],
                        c.imap("b", "AUTHENTICATE PLAIN " + plain_ir(user, "wrong-password"))[-1])

        def smtp(user):
            with Conn(self.port("submission")) as c:
                c.line()
                c.send("EHLO client.test\r\n")
                c.until(lambda l: l.startswith(b"250 "))
                challenge = c.cmd("AUTH CRAM-MD5")
                return (c.cmd(cram_answer(challenge[4:].strip(), user, "wrong-password")),
                        c.cmd("AUTH PLAIN " + plain_ir(user, "wrong-password")))

        for name, probe, failure in (("pop3", pop3, b"-ERR [AUTH]"), ("imap", imap, b"NO [AUTHENTICATIONFAILED]"),
                                     ("smtp", smtp, b"535 5.7.8")):
            with self.subTest(name):
                known = probe("joe")
                unknown = probe("nobody-here")
                self.assertEqual(known, unknown)
                for answer in known:
                    self.assertIn(failure, answer)


# ---------------------------------------------------------------------------

class SecureMethodTest(FrontsCase):
    """RequireSecureMethod: clear-text methods neither offered nor taken on
    plain connections; everything works over TLS and after STARTTLS."""

    @classmethod
    def prepare(cls):
        cls.host.account("joe@" + MAIN, "joe-secret")
        cls.host.settings("RequireSecureMethod=true", domain=MAIN)

    def test_pop3(self):
        with Conn(self.port("pop3")) as c:
            c.line()
            c.send("CAPA\r\n")
            capa = b"".join(c.until(lambda l: l == b".\r\n"))
            self.assertNotIn(b"\r\nUSER\r\n", capa)
            self.assertRegex(capa, rb"\r\nSASL CRAM-MD5\r\n")
            self.assertIn(b"STLS", capa)
            self.assertTrue(c.cmd("USER joe").startswith(b"-ERR"))
            self.assertTrue(c.cmd("AUTH PLAIN " + plain_ir("joe", "joe-secret")).startswith(b"-ERR"))
            self.assertTrue(c.cmd("AUTH LOGIN").startswith(b"-ERR"))
        p = poplib.POP3("127.0.0.1", self.port("pop3"), timeout=IO_TIMEOUT)
        try:
            self.assertTrue(p.apop("joe", "joe-secret").startswith(b"+OK"))
        finally:
            p.quit()
        p = poplib.POP3("127.0.0.1", self.port("pop3"), timeout=IO_TIMEOUT)
        try:
            p.stls(self.ctx)
            self.assertIn("USER", p.capa())
            p.user("joe")
            self.assertTrue(p.pass_("joe-secret").startswith(b"+OK"))
        finally:
            p.quit()
        p = poplib.POP3_SSL("127.0.0.1", self.port("pop3s"), context=self.ctx, timeout=IO_TIMEOUT)
        try:
            p.user("joe")
            self.assertTrue(p.pass_("joe-secret").startswith(b"+OK"))
        finally:
            p.quit()

    def test_imap(self):
        m = imaplib.IMAP4("127.0.0.1", self.port("imap"), timeout=IO_TIMEOUT)
        try:
            self.assertIn("LOGINDISABLED", m.capabilities)
            self.assertNotIn("AUTH=PLAIN", m.capabilities)
            self.assertNotIn("AUTH=LOGIN", m.capabilities)
            self.assertIn("AUTH=CRAM-MD5", m.capabilities)
            with self.assertRaises(imaplib.IMAP4.error):
                m.login("joe", "joe-secret")  # imaplib itself refuses under LOGINDISABLED
        finally:
            m.shutdown()
        with Conn(self.port("imap")) as c:
            c.line()
            self.assertTrue(c.imap("a", "LOGIN joe joe-secret")[-1].startswith(b"a NO"))
            self.assertTrue(c.imap("b", "AUTHENTICATE PLAIN " + plain_ir("joe", "joe-secret"))[-1].startswith(b"b NO"))
        m = imaplib.IMAP4("127.0.0.1", self.port("imap"), timeout=IO_TIMEOUT)
        try:
            self.assertEqual(m.login_cram_md5("joe", "joe-secret")[0], "OK")
        finally:
            m.logout()
        m = imaplib.IMAP4("127.0.0.1", self.port("imap"), timeout=IO_TIMEOUT)
        try:
            m.starttls(self.ctx)
            self.assertNotIn("LOGINDISABLED", m.capabilities)
            self.assertEqual(m.login("joe", "joe-secret")[0], "OK")
        finally:
            m.logout()
        m = imaplib.IMAP4_SSL("127.0.0.1", self.port("imaps"), ssl_context=self.ctx, timeout=IO_TIMEOUT)
        try:
            self.assertNotIn("LOGINDISABLED", m.capabilities)
            self.assertEqual(m.login("joe", "joe-secret")[0], "OK")
        finally:
            m.logout()

    def test_smtp(self):
        s = smtplib.SMTP("127.0.0.1", self.port("submission"), timeout=IO_TIMEOUT)
        try:
            s.ehlo("client.test")
            self.assertEqual(s.esmtp_features["auth"].split(), ["CRAM-MD5"])
            code, _ = s.docmd("AUTH", "PLAIN " + plain_ir("joe", "joe-secret"))
            self.assertEqual(code, 538)
            self.assertEqual(s.login("joe", "joe-secret")[0], 235)
        finally:
            s.quit()
        s = smtplib.SMTP("127.0.0.1", self.port("submission"), timeout=IO_TIMEOUT)
        try:
            s.starttls(context=self.ctx)
            s.ehlo("client.test")
            self.assertIn("PLAIN", s.esmtp_features["auth"].split())
            s.esmtp_features["auth"] = "PLAIN"
            self.assertEqual(s.login("joe", "joe-secret")[0], 235)
        finally:
            s.quit()

    def test_curl(self):
        for proto, scheme, extra in (("imap", "imap", ["--ssl-reqd"]), ("imaps", "imaps", []),
                                     ("pop3", "pop3", ["--ssl-reqd"])):
            port = self.port(proto)
            r = curl("--cacert", self.ca, "--resolve", "%s:%d:127.0.0.1" % (MAIN, port), "--user", "joe:joe-secret",
                     "--login-options", "AUTH=PLAIN", *extra, "%s://%s:%d/" % (scheme, MAIN, port))
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        port = self.port("imap")
        r = curl("--user", "joe:joe-secret", "--login-options", "AUTH=PLAIN", "imap://127.0.0.1:%d/" % port)
        self.assertNotEqual(r.returncode, 0)
        r = curl("--user", "joe:joe-secret", "--login-options", "AUTH=CRAM-MD5", "imap://127.0.0.1:%d/" % port)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])


# ---------------------------------------------------------------------------

class PolicyTest(FrontsCase):
    """Lockout, the client address check and a helper that is down."""

    @classmethod
    def fronts(cls):
        cls.outside = non_loopback_address()
        return tuple((f, "127.0.0.1") for f in ALL_FRONTS) + tuple(
            (f, cls.outside) for f in ("pop3", "imap", "submission"))

    @classmethod
    def prepare(cls):
        cls.host.settings("HideUnknownAccounts=false", "FailedLoginLimit=3", "FailedLoginWindow=10m",
                          "RejectNonClientAddresses=true", "ClientIPAddresses=198.51.100.7", "ExternalTimeout=2s",
                          "ExternalAuthenticator=/bin/false")
        cls.host.account("joe@" + MAIN, "joe-secret")
        cls.host.account("locky@" + MAIN, "locky-secret")
        cls.host.account("ext@" + MAIN)
        cls.host.settings("UseAppPassword=false", "UseExtPassword=true", domain=MAIN, account="ext")

    def test_refused_client_address(self):
        outside = self.outside
        with self.subTest("pop3"), Conn(self.host.ports["pop3@" + outside], address=outside) as c:
            c.line()
            c.cmd("USER joe")
            answer = c.cmd("PASS joe-secret")
            self.assertTrue(answer.startswith(b"-ERR"), answer)
            self.assertNotIn(b"+OK", answer)
            self.assertTrue(c.closed())
        with self.subTest("imap"), Conn(self.host.ports["imap@" + outside], address=outside) as c:
            c.line()
            lines = c.imap("a", "LOGIN joe joe-secret")
            self.assertTrue(lines[0].startswith(b"* BYE"), lines)
            self.assertTrue(lines[-1].startswith(b"a NO"), lines)
            self.assertTrue(c.closed())
        with self.subTest("smtp"), Conn(self.host.ports["submission@" + outside], address=outside) as c:
            c.line()
            c.send("EHLO client.test\r\n")
            c.until(lambda l: l.startswith(b"250 "))
            answer = c.cmd("AUTH PLAIN " + plain_ir("joe", "joe-secret"))
            self.assertTrue(answer.startswith(b"554"), answer)
            self.assertTrue(c.closed())
        with self.subTest("curl"):
            port = self.host.ports["imap@" + outside]
            r = curl("--user", "joe:joe-secret", "imap://%s:%d/" % (outside, port))
            self.assertNotEqual(r.returncode, 0)
        # Loopback is always a client address.
        self.assert_imap_login()
        self.assert_pop3_login()
        self.assert_smtp_login()

    def test_lockout_trips_and_unlock_lifts_it(self):
        for _ in range(3):
            with Conn(self.port("imap")) as c:
                c.line()
                answer = c.imap("a", "LOGIN locky wrong")[-1]
                self.assertTrue(answer.startswith(b"a NO [AUTHENTICATIONFAILED]"), answer)
        with Conn(self.port("imap")) as c:
            c.line()
            answer = c.imap("a", "LOGIN locky locky-secret")[-1]
            self.assertTrue(answer.startswith(b"a NO [AUTHENTICATIONFAILED]"), answer)
        p = poplib.POP3("127.0.0.1", self.port("pop3"), timeout=IO_TIMEOUT)
        try:
            with self.assertRaises(poplib.error_proto) as e:
                p.apop("locky", "locky-secret")
            self.assertTrue(e.exception.args[0].startswith(b"-ERR [AUTH]"))
        finally:
            p.close()
        s = smtplib.SMTP("127.0.0.1", self.port("submission"), timeout=IO_TIMEOUT)
        try:
            with self.assertRaises(smtplib.SMTPAuthenticationError) as e:
                s.login("locky", "locky-secret")
            self.assertEqual(e.exception.smtp_code, 535)
        finally:
            s.close()
        self.host.run("unlock", "locky@" + MAIN)
        self.assert_imap_login("locky", "locky-secret")
        self.assert_pop3_login("locky", "locky-secret")
        self.assert_smtp_login("locky", "locky-secret")

    def test_helper_down_is_a_temporary_failure(self):
        for attempt in range(4):  # more than FailedLoginLimit: never counted, never locked
            with self.subTest("pop3", attempt=attempt), Conn(self.port("pop3")) as c:
                c.line()
                c.cmd("USER ext")
                answer = c.cmd("PASS ext-secret")
                self.assertTrue(answer.startswith(b"-ERR [SYS/TEMP]"), answer)
            with self.subTest("imap", attempt=attempt), Conn(self.port("imaps"), context=self.ctx) as c:
                c.line()
                answer = c.imap("a", "LOGIN ext ext-secret")[-1]
                self.assertTrue(answer.startswith(b"a NO [UNAVAILABLE]"), answer)
            with self.subTest("smtp", attempt=attempt), Conn(self.port("submission")) as c:
                c.line()
                c.send("EHLO client.test\r\n")
                c.until(lambda l: l.startswith(b"250 "))
                answer = c.cmd("AUTH PLAIN " + plain_ir("ext", "ext-secret"))
                self.assertTrue(answer.startswith(b"454 4.7.0"), answer)
        with self.subTest("imap CRAM-MD5"), Conn(self.port("imap")) as c:
            c.line()
            challenge = c.imap("a", "AUTHENTICATE CRAM-MD5")[-1]
            answer = c.cmd(cram_answer(challenge[2:].strip(), "ext", "ext-secret"))
            self.assertTrue(answer.startswith(b"a NO [UNAVAILABLE]"), answer)
        with self.subTest("curl"):
            port = self.port("pop3")
            r = curl("--user", "ext:ext-secret", "pop3://127.0.0.1:%d/" % port)
            self.assertIn("-ERR [SYS/TEMP]", r.stderr)
            self.assertNotEqual(r.returncode, 0)
        self.assert_imap_login()


# ---------------------------------------------------------------------------

class DomainsTest(FrontsCase):
    """Three domains with their own keys and certificates picked by SNI, and
    client certificates."""

    DOMAINS = {"a.test": "ec-p256", "b.test": "rsa-2048", "c.test": "ec-p384"}

    @classmethod
    def prepare(cls):
        h = cls.host
        cls.pki = os.path.join(h.dir, "pki")
        os.mkdir(cls.pki)
        cls.domain_ca = {}
        for domain, key_type in cls.DOMAINS.items():
            h.run("domain", "create", domain)
            h.run("pki", "generate-key", "--domain", domain, "--type", key_type)
            h.run("pki", "self-sign", "--domain", domain, "--days", "30")
            h.run("pki", "mode", "--domain", domain, "enabled")
            pem = os.path.join(cls.pki, domain + ".pem")
            with open(pem, "w") as f:
                f.write(h.run("pki", "export-certificate", "--domain", domain).stdout)
            cls.domain_ca[domain] = pem
            h.account("joe@" + domain, "joe-" + domain)
            h.account("carol@" + domain, "carol-" + domain)
        cls.make_client_certificates()
        h.run("pki", "trust", "add", os.path.join(cls.pki, "users-ca.pem"))
        listing = h.run("pki", "trust", "list").stdout
        subject = re.search(r"UTC  (\S[^\n]*Users CA)\s*$", listing, re.M)
        assert subject, listing
        cls.issuer = subject.group(1).strip()
        h.settings("ClientCertificateIssuer=" + cls.issuer, domain="a.test")
        h.settings("ClientCertificateIssuer=" + cls.issuer, "ClientCertificateRequired=true", domain="b.test")

    @classmethod
    def make_client_certificates(cls):
        d = cls.pki

        def key_and_csr(name, cn):
            openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + cn, cwd=d)

        ext = os.path.join(d, "client.ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n")
        for ca, cn in (("users-ca", "Users CA"), ("other-ca", "Other CA")):
            openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                    ca + ".key", "-out", ca + ".pem", "-days", "30", "-subj", "/O=Example Users/CN=" + cn, cwd=d)
        key_and_csr("carol", "carol")
        openssl("x509", "-req", "-in", "carol.csr", "-CA", "users-ca.pem", "-CAkey", "users-ca.key",
                "-CAcreateserial", "-days", "10", "-extfile", ext, "-out", "carol.pem", cwd=d)
        key_and_csr("other", "carol")
        openssl("x509", "-req", "-in", "other.csr", "-CA", "other-ca.pem", "-CAkey", "other-ca.key",
                "-CAcreateserial", "-days", "10", "-extfile", ext, "-out", "other.pem", cwd=d)
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                "selfmade.key", "-out", "selfmade.pem", "-days", "10", "-subj", "/CN=carol", cwd=d)
        # Expired: `openssl ca` takes any start and end date.
        os.mkdir(os.path.join(d, "issued"))
        open(os.path.join(d, "index.txt"), "w").close()
        with open(os.path.join(d, "serial"), "w") as f:
            f.write("1000\n")
        with open(os.path.join(d, "ca.cnf"), "w") as f:
            f.write("[ca]\ndefault_ca = users\n[users]\ndir = %s\ndatabase = $dir/index.txt\n"
                    "new_certs_dir = $dir/issued\nserial = $dir/serial\ndefault_md = sha256\n"
                    "policy = any\nx509_extensions = client\nunique_subject = no\n"
                    "[any]\ncommonName = supplied\n[client]\nbasicConstraints = CA:FALSE\n"
                    "keyUsage = digitalSignature\nextendedKeyUsage = clientAuth\n" % d)
        key_and_csr("expired", "carol")
        openssl("ca", "-batch", "-config", "ca.cnf", "-cert", "users-ca.pem", "-keyfile", "users-ca.key",
                "-in", "expired.csr", "-out", "expired.pem", "-notext", "-startdate", "20200101000000Z",
                "-enddate", "20200201000000Z", cwd=d)

    def cert(self, name):
        return os.path.join(self.pki, name + ".pem"), os.path.join(self.pki, name + ".key")

    def test_1_sni_picks_each_domains_certificate(self):
        for domain in self.DOMAINS:
            for proto, starttls in (("imaps", None), ("submission", "smtp"), ("pop3", "pop3")):
                with self.subTest(domain=domain, proto=proto):
                    args = ["-connect", "127.0.0.1:%d" % self.port(proto), "-servername", domain, "-showcerts",
                            "-CAfile", self.domain_ca[domain], "-verify_return_error", "-verify_hostname", domain]
                    # b.test requires a client certificate.
                    args += ["-cert", self.cert("carol")[0], "-key", self.cert("carol")[1]]
                    if starttls:
                        args += ["-starttls", starttls]
                    r = s_client(*args)
                    self.assertEqual(r.returncode, 0, r.stdout[-2000:] + r.stderr[-2000:])
                    self.assertRegex(r.stdout, r" 0 s:CN ?= ?%s\n" % re.escape(domain))
                    self.assertIn("Verify return code: 0 (ok)", r.stdout)
        # An unknown name gets the listener's domain: the test certificate.
        r = s_client("-connect", "127.0.0.1:%d" % self.port("imaps"), "-servername", "unknown.test")
        self.assertRegex(r.stdout, r"subject=CN ?= ?%s" % re.escape(MAIN))

    def test_2_curl_logs_in_to_the_domain_sni_names(self):
        port = self.port("imaps")
        for domain in ("a.test", "c.test"):
            with self.subTest(domain):
                base = ["--cacert", self.domain_ca[domain], "--resolve", "%s:%d:127.0.0.1" % (domain, port)]
                r = curl(*base, "--user", "joe:joe-" + domain, "imaps://%s:%d/" % (domain, port))
                self.assertEqual(r.returncode, 0, r.stderr[-2000:])
                other = "c.test" if domain == "a.test" else "a.test"
                r = curl(*base, "--user", "joe:joe-" + other, "imaps://%s:%d/" % (domain, port))
                self.assertEqual(r.returncode, 67, r.stderr[-2000:])
                # Another domain's certificate does not vouch for this one.
                r = curl("--cacert", self.domain_ca[other], "--resolve", "%s:%d:127.0.0.1" % (domain, port),
                         "--user", "joe:joe-" + domain, "imaps://%s:%d/" % (domain, port))
                self.assertEqual(r.returncode, 60, r.stderr[-2000:])
        sub = self.port("submission")
        r = curl("--ssl-reqd", "--cacert", self.domain_ca["c.test"], "--resolve", "c.test:%d:127.0.0.1" % sub,
                 "--user", "joe:joe-c.test", "--login-options", "AUTH=LOGIN", "--mail-from", "joe@c.test",
                 "--mail-rcpt", "x@c.test", "-T", self.domain_ca["c.test"], "smtp://c.test:%d/" % sub)
        self.assertIn("< 235", r.stderr)
        self.assertNotEqual(r.returncode, 0)

    def test_3_client_certificate_logs_in_by_external(self):
        port = self.port("imaps")
        cert, key = self.cert("carol")
        base = ["--cacert", self.domain_ca["a.test"], "--resolve", "a.test:%d:127.0.0.1" % port]
        r = curl(*base, "--cert", cert, "--key", key, "--login-options", "AUTH=EXTERNAL", "--user", "carol:",
                 "imaps://a.test:%d/" % port)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        ctx = tls_context(self.domain_ca["a.test"], "a.test", cert, key)
        with Conn(port, context=ctx) as c:
            greeting = c.line()
            self.assertIn(b"AUTH=EXTERNAL", greeting)
            answer = c.imap("a", "AUTHENTICATE EXTERNAL =")[-1]
            self.assertTrue(answer.startswith(b"a OK"), answer)
        with Conn(port, context=ctx) as c:
            c.line()
            answer = c.imap("a", "AUTHENTICATE EXTERNAL")
            self.assertTrue(answer[-1].startswith(b"+"), answer)
            self.assertTrue(c.cmd("").startswith(b"a OK"))
        with Conn(port, context=ctx) as c:  # the certificate is no password
            c.line()
            self.assertTrue(c.imap("a", "LOGIN carol wrong")[-1].startswith(b"a NO"))
        # Through openssl s_client as well, and on the other fronts.
        r = s_client("-connect", "127.0.0.1:%d" % port, "-servername", "a.test", "-cert", cert, "-key", key,
                     "-CAfile", self.domain_ca["a.test"], "-verify_return_error", "-crlf", "-ign_eof", "-quiet",
                     input="a AUTHENTICATE EXTERNAL =\nb LOGOUT\n")
        self.assertIn("a OK", r.stdout, r.stderr[-2000:])
        r = s_client("-connect", "127.0.0.1:%d" % self.port("submission"), "-starttls", "smtp", "-servername",
                     "a.test", "-cert", cert, "-key", key, "-crlf", "-ign_eof", "-quiet",
                     input="EHLO client.test\nAUTH EXTERNAL =\nQUIT\n")
        self.assertIn("\n235 ", r.stdout, r.stderr[-2000:])
        with Conn(self.port("pop3s"), context=ctx) as c:
            c.line()
            self.assertTrue(c.cmd("AUTH EXTERNAL " + b64("carol")).startswith(b"+OK"))

    def test_4_wrong_client_certificates_are_refused(self):
        port = self.port("imaps")
        for name in ("expired", "other", "selfmade"):
            cert, key = self.cert(name)
            with self.subTest(name):
                ctx = tls_context(self.domain_ca["a.test"], "a.test", cert, key)
                with Conn(port, context=ctx) as c:
                    greeting = c.line()
                    self.assertNotIn(b"AUTH=EXTERNAL", greeting)
                    answer = c.imap("a", "AUTHENTICATE EXTERNAL =")[-1]
                    self.assertTrue(answer.startswith(b"a NO"), answer)
                    self.assertTrue(c.imap("b", "LOGIN carol carol-a.test")[-1].startswith(b"b OK"))
                r = curl("--cacert", self.domain_ca["a.test"], "--resolve", "a.test:%d:127.0.0.1" % port,
                         "--cert", cert, "--key", key, "--login-options", "AUTH=EXTERNAL", "--user", "carol:",
                         "imaps://a.test:%d/" % port)
                self.assertNotEqual(r.returncode, 0)

    def test_5_required_client_certificate(self):
        port = self.port("imaps")
        good = tls_context(self.domain_ca["b.test"], "b.test", *self.cert("carol"))
        with Conn(port, context=good) as c:
            c.line()
            self.assertTrue(c.imap("a", "AUTHENTICATE EXTERNAL =")[-1].startswith(b"a OK"))
        for name in (None, "expired", "other", "selfmade"):
            with self.subTest(name):
                ctx = tls_context(self.domain_ca["b.test"], "b.test", *(self.cert(name) if name else ()))
                self.assert_refused_tls(port, ctx)

    def assert_refused_tls(self, port, ctx):
        try:
            c = Conn(port, context=ctx)
        except (ssl.SSLError, ConnectionError, OSError):
            return
        with c:
            try:
                data = c.pending(5)
            except (ssl.SSLError, ConnectionError, OSError):
                return
            self.assertFalse(data.startswith(b"* OK"), data)

    def test_6_abort_on_wrong_client_certificate(self):
        self.host.settings("TLSAbortOnWrongClientCertificate=true")
        try:
            port = self.port("imaps")
            deadline = time.monotonic() + 15
            while True:  # the TLS layer reads settings once a second
                ctx = tls_context(self.domain_ca["a.test"], "a.test", *self.cert("other"))
                try:
                    with Conn(port, context=ctx) as c:
                        if not c.pending(2).startswith(b"* OK"):
                            break
                except (ssl.SSLError, ConnectionError, OSError):
                    break
                self.assertLess(time.monotonic(), deadline, "a wrong certificate is still let through")
            for name in ("expired", "selfmade"):
                with self.subTest(name):
                    ctx = tls_context(self.domain_ca["a.test"], "a.test", *self.cert(name))
                    self.assert_refused_tls(port, ctx)
            good = tls_context(self.domain_ca["a.test"], "a.test", *self.cert("carol"))
            with Conn(port, context=good) as c:
                c.line()
                self.assertTrue(c.imap("a", "AUTHENTICATE EXTERNAL =")[-1].startswith(b"a OK"))
            # No certificate at all is no wrong certificate: a.test does not require one.
            with Conn(port, context=tls_context(self.domain_ca["a.test"], "a.test")) as c:
                self.assertTrue(c.line().startswith(b"* OK"))
        finally:
            self.host.settings("TLSAbortOnWrongClientCertificate=false")


# ---------------------------------------------------------------------------

class BadInputTest(FrontsCase):
    """Input no client should send; the server answers everyone else."""

    FRONTS = tuple((f, "127.0.0.1") for f in ("pop3", "imap", "imaps", "submission"))

    @classmethod
    def prepare(cls):
        cls.host.account("joe@" + MAIN, "joe-secret")

    def test_megabyte_line_without_end(self):
        for proto in ("imap", "pop3", "submission"):
            with self.subTest(proto), Conn(self.port(proto)) as c:
                c.line()
                try:
                    c.send(b"A" * (1 << 20))
                except OSError:
                    pass  # closed while we were still sending
                self.assertTrue(c.closed())
        self.assert_imap_login()
        self.assert_pop3_login()
        self.assert_smtp_login()

    def test_imap_literal_of_four_gigabytes(self):
        with Conn(self.port("imap")) as c:
            c.line()
            answer = c.imap("a", "LOGIN joe {4294967296}")[-1]
            self.assertTrue(answer.startswith(b"a BAD"), answer)
            self.assertTrue(c.imap("b", "LOGIN joe {10}")[-1].startswith(b"+"))
            self.assertTrue(c.cmd("joe-secret").startswith(b"b OK"))
        with Conn(self.port("imap")) as c:
            c.line()
            c.send("a LOGIN joe {4294967296+}\r\n")
            self.assertTrue(c.line().startswith(b"* BYE"))
            self.assertTrue(c.closed())
        self.assert_imap_login()

    def test_nul_in_a_command(self):
        with Conn(self.port("imap")) as c:
            c.line()
            self.assertTrue(c.imap("a", "LOGIN joe\0 joe-secret")[-1].startswith(b"a BAD"))
            self.assertTrue(c.imap("b", "LOGIN joe joe-secret")[-1].startswith(b"b OK"))
        with Conn(self.port("pop3")) as c:
            c.line()
            self.assertTrue(c.cmd("USER jo\0e").startswith(b"-ERR"))
            c.cmd("USER joe")
            self.assertTrue(c.cmd("PASS joe-secret").startswith(b"+OK"))
        with Conn(self.port("submission")) as c:
            c.line()
            self.assertTrue(c.cmd("EH\0LO x").startswith(b"500"))
            c.send("EHLO client.test\r\n")
            c.until(lambda l: l.startswith(b"250 "))
            self.assertTrue(c.cmd("AUTH PLAIN " + plain_ir("joe", "joe-secret")).startswith(b"235"))

    def test_invalid_base64_disturbs_no_other_login(self):
        a, b = Conn(self.port("imap")), Conn(self.port("imap"))
        with a, b:
            a.line(), b.line()
            self.assertTrue(a.imap("a1", "AUTHENTICATE PLAIN")[-1].startswith(b"+"))
            self.assertTrue(b.imap("b1", "AUTHENTICATE PLAIN")[-1].startswith(b"+"))
            a.send("!!!not*base64===\r\n")
            b.send(plain_ir("joe", "joe-secret") + "\r\n")
            self.assertTrue(a.line().startswith(b"a1 BAD"))
            self.assertTrue(b.line().startswith(b"b1 OK"))
            self.assertTrue(a.imap("a2", "AUTHENTICATE PLAIN " + plain_ir("joe", "joe-secret"))[-1]
                            .startswith(b"a2 OK"))
        with Conn(self.port("pop3")) as c:
            c.line()
            self.assertTrue(c.cmd("AUTH PLAIN %%%").startswith(b"-ERR"))
            self.assertTrue(c.cmd("AUTH PLAIN " + plain_ir("joe", "joe-secret")).startswith(b"+OK"))
        with Conn(self.port("submission")) as c:
            c.line()
            c.send("EHLO client.test\r\n")
            c.until(lambda l: l.startswith(b"250 "))
            self.assertTrue(c.cmd("AUTH LOGIN").startswith(b"334"))
            self.assertTrue(c.cmd("@@@@").startswith(b"501"))
            self.assertTrue(c.cmd("AUTH PLAIN " + plain_ir("joe", "joe-secret")).startswith(b"235"))

    def test_star_cancels_authentication(self):
        with Conn(self.port("imap")) as c:
            c.line()
            self.assertTrue(c.imap("a", "AUTHENTICATE LOGIN")[-1].startswith(b"+"))
            self.assertTrue(c.cmd("*").startswith(b"a BAD"))
            self.assertTrue(c.imap("b", "LOGIN joe joe-secret")[-1].startswith(b"b OK"))
        with Conn(self.port("pop3")) as c:
            c.line()
            self.assertTrue(c.cmd("AUTH CRAM-MD5").startswith(b"+ "))
            self.assertTrue(c.cmd("*").startswith(b"-ERR"))
            self.assertTrue(c.cmd("AUTH PLAIN " + plain_ir("joe", "joe-secret")).startswith(b"+OK"))
        with Conn(self.port("submission")) as c:
            c.line()
            c.send("EHLO client.test\r\n")
            c.until(lambda l: l.startswith(b"250 "))
            self.assertTrue(c.cmd("AUTH PLAIN").startswith(b"334"))
            self.assertTrue(c.cmd("*").startswith(b"501"))
            self.assertTrue(c.cmd("AUTH PLAIN " + plain_ir("joe", "joe-secret")).startswith(b"235"))

    def test_garbage_client_hello_and_disconnect_mid_handshake(self):
        port = self.port("imaps")
        with Conn(port) as c:
            c.send(b"\x16\x03\x01\x02\x00" + os.urandom(512))
            self.assertTrue(c.closed())
        with Conn(port) as c:
            c.send(os.urandom(300))
            self.assertTrue(c.closed())
        # The first half of a real ClientHello, then gone.
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ssl.create_default_context().wrap_bio(incoming, outgoing, server_hostname=MAIN)
        with self.assertRaises(ssl.SSLWantReadError):
            obj.do_handshake()
        hello = outgoing.read()
        for cut in (3, len(hello) // 2, len(hello)):
            with Conn(port) as c:
                c.send(hello[:cut])
        with Conn(self.port("imap")) as c:  # STARTTLS, then gone mid-handshake
            c.line()
            c.imap("a", "STARTTLS")
            c.send(hello[: len(hello) // 2])
        with Conn(port, context=self.ctx) as c:
            c.line()
            self.assertTrue(c.imap("a", "LOGIN joe joe-secret")[-1].startswith(b"a OK"))

    def test_client_that_never_reads(self):
        slow = Conn(self.port("imap"))
        with slow:
            slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            slow.line()
            self.assertTrue(slow.imap("a", "LOGIN joe joe-secret")[-1].startswith(b"a OK"))
            slow.sock.setblocking(False)
            sent, deadline = 0, time.monotonic() + 5
            burst = b"x CAPABILITY\r\n" * 4096
            while time.monotonic() < deadline and sent < (64 << 20):
                try:
                    sent += slow.sock.send(burst)
                except BlockingIOError:
                    time.sleep(0.05)
                except OSError:
                    break
            # The server stopped reading: far less than the burst went out.
            self.assertLess(sent, 64 << 20)
            started = time.monotonic()
            self.assert_imap_login()
            self.assert_pop3_login()
            self.assertLess(time.monotonic() - started, 20)

    def test_starttls_injection(self):
        cases = (("imap", "a STARTTLS\r\nb CAPABILITY\r\n", b"a OK", b"b "),
                 ("pop3", "STLS\r\nCAPA\r\n", b"+OK", b"+OK"),
                 ("submission", "EHLO client.test\r\nSTARTTLS\r\nRSET\r\n", b"220 ", b"250"))
        for proto, packet, ready, injected in cases:
            with self.subTest(proto), Conn(self.port(proto)) as c:
                c.line()
                c.send(packet)
                if proto == "submission":
                    c.until(lambda l: l.startswith(b"250 "))
                self.assertTrue(c.line().startswith(ready))
                # Nothing more in the clear: the server now waits for a ClientHello.
                self.assertEqual(c.pending(0.5), b"")
                c.starttls(self.ctx)
                after = c.pending(1.5)
                self.assertFalse(after.startswith(injected), after)
                self.assertEqual(after, b"")
                if proto == "imap":
                    self.assertTrue(c.imap("c", "LOGIN joe joe-secret")[-1].startswith(b"c OK"))
                elif proto == "pop3":
                    c.cmd("USER joe")
                    self.assertTrue(c.cmd("PASS joe-secret").startswith(b"+OK"))
                else:
                    self.assertTrue(c.cmd("AUTH PLAIN " + plain_ir("joe", "joe-secret")).startswith(b"503"))
                    c.send("EHLO client.test\r\n")
                    c.until(lambda l: l.startswith(b"250 "))
                    self.assertTrue(c.cmd("AUTH PLAIN " + plain_ir("joe", "joe-secret")).startswith(b"235"))


# ---------------------------------------------------------------------------

class ConnectionFloodTest(FrontsCase):
    """1,000 connections from one address: past --front-max-per-address they
    are closed, and another address still logs in."""

    FRONTS = (("imap", "127.0.0.1"), ("pop3", "127.0.0.1"))
    SERVE_ARGS = ("--front-max-per-address", "20")
    LIMIT = 20

    @classmethod
    def prepare(cls):
        cls.host.account("joe@" + MAIN, "joe-secret")

    def test_thousand_connections_from_one_address(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY and soft < 1200:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))
        socks = []
        try:
            for _ in range(1000):
                s = socket.socket()
                s.settimeout(IO_TIMEOUT)
                s.bind(("127.0.0.1", 0))
                s.connect(("127.0.0.1", self.port("imap")))
                socks.append(s)
            # Another loopback address is another client.
            self.assert_imap_login(source="127.0.0.2")
            greeted, closed = 0, 0
            waiting = selectors.DefaultSelector()  # epoll: descriptors past FD_SETSIZE are fine
            for s in socks:
                waiting.register(s, selectors.EVENT_READ)
            deadline = time.monotonic() + 30
            while waiting.get_map() and time.monotonic() < deadline:
                for key, _ in waiting.select(timeout=1):
                    try:
                        data = key.fileobj.recv(4096)
                    except OSError:
                        data = b""
                    if data.startswith(b"* OK"):
                        greeted += 1
                    else:
                        closed += 1
                    waiting.unregister(key.fileobj)
                if greeted + closed == len(socks):
                    break
            still_open = len(waiting.get_map())
            print("flood: %d greeted, %d closed, %d silent" % (greeted, closed, still_open), file=sys.stderr)
            waiting.close()
            self.assertLessEqual(greeted, self.LIMIT)
            self.assertGreaterEqual(greeted, 1)
            self.assertGreaterEqual(closed, 1000 - self.LIMIT - still_open)
        finally:
            for s in socks:
                s.close()
        deadline = time.monotonic() + 20
        while True:  # the server notices the closes
            try:
                self.assert_imap_login()
                break
            except (AssertionError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        self.assert_pop3_login()


def main():
    global AUTHHOST
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "--authhost":
        AUTHHOST = os.path.abspath(args[1])
        args = args[2:]
    else:
        sys.exit("usage: fronts_e2e_test.py --authhost PATH [unittest arguments]")
    for tool in ("curl", "openssl"):
        if shutil.which(tool) is None:
            sys.exit("%s is needed for these tests" % tool)
    unittest.main(argv=[sys.argv[0], *args], verbosity=2)


if __name__ == "__main__":
    main()
