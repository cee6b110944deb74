#!/usr/bin/env python3
"""authhost conformance from the command line: exit codes, the text and
JSON reports, and passwords that never appear in either (nor on standard
error). Run by ctest as host.conformance.cli."""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import unittest

ARGS = None

ACCOUNTS = [
    ("pct@example.com", "100%_sure"),
    ("joe@example.com", "correct horse"),
    ("quote@example.com", 'say "hi" \\ bye'),
]


class ConformanceCommand(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="authhost-conformance-cli-")
        self.account_args = []
        users = []
        for i, (address, password) in enumerate(ACCOUNTS):
            path = os.path.join(self.dir.name, "pw%d" % i)
            with open(path, "wb") as f:
                f.write(password.encode() + (b"\r\n" if i % 2 else b"\n"))
            self.account_args += ["--account", address, "--password-file", path]
            users.append("%s\t%s\n" % (address, password))
        self.users = os.path.join(self.dir.name, "users.tsv")
        with open(self.users, "w") as f:
            f.writelines(users)

    def tearDown(self):
        self.dir.cleanup()

    def run_kit(self, *extra, helper=None):
        command = [ARGS.authhost, "conformance"] + self.account_args + list(extra) + ["--"] + helper
        done = subprocess.run(command, capture_output=True, timeout=240)
        for _, password in ACCOUNTS:
            for stream in (done.stdout, done.stderr):
                self.assertNotIn(password.encode(), stream, "a password was printed")
        return done

    def helper(self, name):
        return [os.path.join(ARGS.helpers, name), self.users]

    def test_json_report_of_a_failing_helper(self):
        done = self.run_kit("--json", helper=self.helper("splitting_helper.pl"))
        self.assertEqual(done.returncode, 1, done.stderr)
        report = json.loads(done.stdout)
        self.assertEqual(report["exit_code"], 1)
        self.assertEqual(report["helper"], self.helper("splitting_helper.pl"))
        self.assertEqual(report["accounts"], [a for a, _ in ACCOUNTS])
        names = [c["name"] for c in report["cases"]]
        self.assertEqual(len(names), len(set(names)))
        self.assertIn("timing", names)
        for case in report["cases"]:
            self.assertEqual(sorted(case), ["detail", "explanation", "name", "received", "result", "sent"])
            self.assertIn(case["result"], ["pass", "fail", "finding", "not applicable"])
        failed = {c["name"] for c in report["cases"] if c["result"] == "fail"}
        self.assertEqual(failed, {"password-space", "password-quote", "password-backslash", "password-ddd"})
        summary = report["summary"]
        self.assertEqual(summary["fail"], 4)
        self.assertEqual(sum(summary.values()), len(names))
        space = next(c for c in report["cases"] if c["name"] == "password-space")
        self.assertIn('2 VRFY joe@example.com "<password of joe@example.com>"', space["sent"])

    def test_text_report_of_a_helper_with_findings(self):
        done = self.run_kit("--timing-samples", "40", helper=self.helper("serial_helper.pl"))
        self.assertEqual(done.returncode, 0, done.stderr)
        text = done.stdout.decode()
        lines = text.splitlines()
        self.assertTrue(any(l.startswith("FINDING unknown-name") for l in lines), text)
        self.assertTrue(any(l.startswith("FINDING timing") for l in lines), text)
        self.assertTrue(any(l.startswith("PASS    sequence-echo") for l in lines), text)
        self.assertIn("summary: 24 pass, 0 fail, 3 findings, 0 not applicable (exit 0)", text)

    def test_authd_passes(self):
        report = self.run_authd("ok")
        self.assertEqual(report["cases"][0]["detail"], 'answered "1 OK 1"')

    def test_authd_passes_with_the_compat_intf_answer(self):
        report = self.run_authd("intf")
        for case in report["cases"][:3]:
            self.assertIn("(the compat INTF form)", case["detail"])
        self.assertEqual(report["cases"][2]["detail"], 'answered "1 INTF 2" (the compat INTF form)')

    def run_authd(self, intf_reply):
        config = os.path.join(self.dir.name, "authd.toml")
        passwd = os.path.join(self.dir.name, "users.passwd")
        # authd reads {PLAIN} only with allow_weak_schemes: enough here,
        # where the battery and not the hashing is under test.
        with open(passwd, "w") as f:
            for address, password in ACCOUNTS:
                f.write("%s:{PLAIN}%s\n" % (address, password))
        with open(config, "w") as f:
            f.write('[authd]\nlog = "syslog"\nallow_weak_schemes = true\nfailure_answer_time_ms = 100\n'
                    'intf_reply = "%s"\n'
                    '[[backend]]\nname = "f"\ntype = "passwd-file"\npath = "%s"\n'
                    '[[route]]\ndomains = ["*"]\nbackends = ["f"]\n' % (intf_reply, passwd))
        done = self.run_kit("--json", helper=[ARGS.authd, "--config", config])
        report = json.loads(done.stdout)
        self.assertEqual(done.returncode, 0, json.dumps(report, indent=1))
        self.assertEqual(report["summary"]["pass"], len(report["cases"]))
        return report

    def test_a_helper_that_cannot_start(self):
        done = self.run_kit(helper=["/nonexistent/helper"])
        self.assertEqual(done.returncode, 2)
        self.assertIn(b"could not be run", done.stdout)
        self.assertIn(b"/nonexistent/helper", done.stdout)
        done = self.run_kit("--json", helper=["/nonexistent/helper"])
        self.assertEqual(done.returncode, 2)
        self.assertEqual(json.loads(done.stdout)["exit_code"], 2)
        self.assertIn(b"could not be run", done.stderr)

    def test_accounts_and_password_files_go_in_pairs(self):
        command = [ARGS.authhost, "conformance", "--account", "a@b", "--account", "c@d",
                   "--password-file", os.path.join(self.dir.name, "pw0"), "--", "/bin/true"]
        done = subprocess.run(command, capture_output=True, timeout=30)
        self.assertEqual(done.returncode, 2)
        self.assertIn(b"in pairs", done.stderr)

    def test_an_empty_password_file_is_refused(self):
        empty = os.path.join(self.dir.name, "empty")
        open(empty, "w").close()
        command = [ARGS.authhost, "conformance", "--account", "a@b", "--password-file", empty, "--", "/bin/true"]
        done = subprocess.run(command, capture_output=True, timeout=30)
        self.assertEqual(done.returncode, 2)
        self.assertIn(b"empty", done.stderr)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--authhost", required=True)
    parser.add_argument("--authd", required=True)
    parser.add_argument("--helpers", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
