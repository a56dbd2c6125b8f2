#!/usr/bin/python3
"""Runs the README's walkthroughs, as written, against a real `quire serve`.

Every ```sh block that follows a `<!-- walkthrough -->` line is run, in the README's order,
by one bash process (so variables set in one block are seen by the next), from a scratch
directory that holds `quire-data` (the server's data directory, loaded with the examples
the way scripts/run loads them) and a link to the repository's `examples/`. `quire` is on
the PATH; `127.0.0.1:8080` is replaced by the port the server picked.

Each command must succeed, and one whose comment starts with `→` must print what follows it
(`...` standing for anything in between). `curl` is wrapped: an answer must be 2xx (or 304) unless the
command's comment, on its line or on the comment line right after it, starts with another
status (`# 403: permission ...`, `# 409 document 1 is checked out ...`), which must then be
the status. A failure names the README line.

Usage: run_walkthroughs.py --quire BINARY --source REPOSITORY [--keep]
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

MARKER = "<!-- walkthrough -->"

CURL_WRAPPER = r"""
set -euo pipefail
shopt -s inherit_errexit
__line=0
__expect=2xx
__readme_curl() {
  local err body rc=0 status
  err=$(mktemp) body=$(mktemp)
  # -q first: a developer's ~/.curlrc changes nothing here.
  { command curl -q --write-out '%{stderr}%{http_code}' "$@" 2>"$err" | tee "$body"; } || rc=$?
  status=$(tail -c 3 "$err")
  if [ "$rc" -ne 0 ]; then
    echo "README line $__line: curl exited with $rc: $(cat "$err")" >&2
    return 1
  fi
  local ok=false
  case "$__expect" in
    2xx) [[ "$status" == 2?? || "$status" == 304 ]] && ok=true ;;
    *) [ "$status" = "$__expect" ] && ok=true ;;
  esac
  if [ "$ok" != true ]; then
    {
      echo "README line $__line: expected HTTP $__expect, got $status; the answer was:"
      head -c 2000 "$body"
      echo
    } >&2
    return 1
  fi
  rm -f "$err" "$body"
}
curl() { __readme_curl "$@"; }
# __expect_output FILE FRAGMENT...: the fragments appear in FILE in this order.
__expect_output() {
  local file=$1 rest
  shift
  rest=$(cat "$file")
  for fragment in "$@"; do
    if [[ "$rest" != *"$fragment"* ]]; then
      {
        echo "README line $__line: the output should contain '$fragment' (in the order shown); it was:"
        head -c 2000 "$file"
        echo
      } >&2
      return 1
    fi
    rest=${rest#*"$fragment"}
  done
}
"""


def split_comment(line):
    """Returns (code, comment) of a shell line, the comment being what follows an unquoted #."""
    quote = None
    escaped = False
    for i, ch in enumerate(line):
        if escaped:
            escaped = False
        elif ch == "\\" and quote != "'":
            escaped = True
        elif quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i], line[i + 1 :]
    return line, ""


# An expected status: three digits and then a space, a colon or the end (`# 403: ...`).
STATUS = re.compile(r"^\s*([1-5]\d{2})(?=[ :]|$)")


def blocks(readme):
    """Yields (first line number, lines) of each marked ```sh block."""
    lines = readme.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == MARKER:
            if i + 1 >= len(lines) or lines[i + 1].strip() != "```sh":
                raise SystemExit(f"README line {i + 1}: {MARKER} must be followed by a ```sh block")
            j = i + 2
            body = []
            while j < len(lines) and lines[j].strip() != "```":
                body.append(lines[j])
                j += 1
            yield i + 3, body
            i = j
        i += 1


def script_of(first_line, body):
    """The block as bash, each command preceded by its README line and expected status."""
    out = []
    k = 0
    while k < len(body):
        start = k
        logical = [body[k]]
        while logical[-1].rstrip().endswith("\\") and k + 1 < len(body):
            k += 1
            logical.append(body[k])
        code, comment = split_comment(logical[-1])
        if not "".join(split_comment(l)[0] for l in logical).strip():
            out.extend(logical)  # a comment or an empty line
            k += 1
            continue
        expect = "2xx"
        m = STATUS.match(comment)
        if not m and k + 1 < len(body) and body[k + 1].lstrip().startswith("#"):
            m = STATUS.match(body[k + 1].lstrip()[1:])
        if m:
            expect = m.group(1)
        out.append(f"__line={first_line + start}; __expect={expect}")
        shown = comment.strip()
        if shown.startswith("→"):
            # `command  # → TEXT`: what it prints must contain TEXT, `...` standing for anything.
            fragments = [f for f in shown[1:].strip().split("...") if f.strip()]
            out.append("__out=$(mktemp)")
            out.append("{")
            out.extend(logical[:-1] + [code])
            out.append('} > "$__out"; cat "$__out"')
            quoted = " ".join("'" + f.strip().replace("'", "'\\''") + "'" for f in fragments)
            out.append(f'__expect_output "$__out" {quoted}')
        else:
            out.extend(logical)
        k += 1
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quire", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = ap.parse_args()
    quire = os.path.abspath(args.quire)
    source = os.path.abspath(args.source)
    with open(os.path.join(source, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    found = list(blocks(readme))
    if not found:
        raise SystemExit(f"README.md has no block marked {MARKER}")

    work = tempfile.mkdtemp(prefix="quire-readme-")
    os.symlink(os.path.join(source, "examples"), os.path.join(work, "examples"))
    data = os.path.join(work, "quire-data")
    loaded = subprocess.run([os.path.join(source, "scripts/load-examples"), quire, data],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if loaded.returncode != 0:
        raise SystemExit(f"scripts/load-examples failed ({work}):\n{loaded.stderr}")
    server = subprocess.Popen([quire, "serve", "--data-dir", "quire-data", "--port", "0"],
                              cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    port = None
    server_log = []
    for line in server.stdout:
        server_log.append(line)
        m = re.search(r"listening on https?://[^ ]+:(\d+)", line)
        if m:
            port = m.group(1)
            break
    if port is None:
        server.kill()
        raise SystemExit("quire serve did not start:\n" + "".join(server_log))
    drain = threading.Thread(target=lambda: server_log.extend(server.stdout), daemon=True)
    drain.start()

    script = [CURL_WRAPPER]
    for first_line, body in found:
        script.extend(script_of(first_line, body))
    text = "\n".join(script).replace("127.0.0.1:8080", f"127.0.0.1:{port}") + "\n"
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(quire) + os.pathsep + env.get("PATH", "")
    try:
        try:
            result = subprocess.run(["bash", "-c", text], cwd=work, env=env,
                                    capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else ""
            result = subprocess.CompletedProcess(e.cmd, 124, out,
                                                 "the walkthroughs took more than 600 s\n")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server_status = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server_status = "killed after 30 s"
        drain.join(timeout=5)
    print(result.stdout)
    print(result.stderr, file=sys.stderr)
    ok = result.returncode == 0 and server_status == 0
    if not ok:
        print(f"walkthroughs failed (bash exit {result.returncode}, server exit {server_status});"
              f" scratch directory {work}; server output:\n" + "".join(server_log[-40:]),
              file=sys.stderr)
    elif not args.keep:
        shutil.rmtree(work)
    print(f"{len(found)} README blocks run", "ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
