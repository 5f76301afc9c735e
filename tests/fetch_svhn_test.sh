#!/usr/bin/env bash
# Tests scripts/fetch-svhn against a local python3 http.server bound to
# 127.0.0.1. No other address is contacted: every run of the script gets an
# explicit base URL on 127.0.0.1, and proxy variables are cleared so that curl
# connects directly.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fetch_script="$repo_root/scripts/fetch-svhn"

unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy="127.0.0.1" NO_PROXY="127.0.0.1"

work_dir="$(mktemp -d)"
server_pid=""
stall_server_pid=""
cleanup() {
    local pid
    for pid in "$server_pid" "$stall_server_pid"; do
        if [[ -n "$pid" ]]; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf -- "$work_dir"
}
trap cleanup EXIT

serve_dir="$work_dir/serve"
server_log="$work_dir/server.log"
server_output="$work_dir/server.out"
mkdir -p "$serve_dir"

# 10000 random bytes: large enough that a truncated or wrong file differs.
head -c 10000 /dev/urandom >"$serve_dir/sample.bin"
sample_size="$(stat -c %s "$serve_dir/sample.bin")"
sample_md5="$(md5sum "$serve_dir/sample.bin")"
sample_md5="${sample_md5%% *}"

# Port 0 lets the kernel pick a free port, which http.server prints in its
# first line ("Serving HTTP on 127.0.0.1 port N ..."); -u makes that line
# appear without buffering.
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$serve_dir" \
    >"$server_output" 2>"$server_log" &
server_pid=$!

port=""
for _ in $(seq 1 100); do
    if [[ "$(head -n 1 "$server_output")" =~ port\ ([0-9]+) ]]; then
        port="${BASH_REMATCH[1]}"
        break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
if [[ -z "$port" ]]; then
    echo "FAIL: the local HTTP server did not start within 10 s; its output:" >&2
    cat "$server_output" "$server_log" >&2
    exit 1
fi
base_url="http://127.0.0.1:$port"
echo "local HTTP server: $base_url serving $serve_dir"

failures=0
pass() { echo "PASS: $*"; }
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# Runs fetch-svhn with the one-line manifest $2 into the folder $1, from the
# base URL $3 (default: the http.server) with a maximum download time of $4
# seconds (default: 20), and sets fetch_status and fetch_stderr.
run_fetch() {
    local destination="$1" manifest_line="$2"
    local url="${3:-$base_url}" max_time="${4:-20}"
    local manifest="$work_dir/manifest.txt"
    printf '%s\n' "$manifest_line" >"$manifest"
    fetch_status=0
    SVHN_BASE_URL="$url" SVHN_MANIFEST="$manifest" SVHN_DATA_DIR="$destination" \
        SVHN_MAX_TIME="$max_time" timeout 60 "$fetch_script" \
        >"$work_dir/fetch.out" 2>"$work_dir/fetch.err" || fetch_status=$?
    fetch_stderr="$(cat "$work_dir/fetch.err")"
}

# Checks that a failed run exited with status 1, printed one line on stderr
# and left the folder $2 empty (no final file, no temporary file).
check_failed_run() {
    local case_name="$1" destination="$2"
    local leftover
    if [[ $fetch_status -eq 1 ]]; then
        pass "$case_name: exit status 1"
    else
        fail "$case_name: exit status $fetch_status, expected 1 (stderr: $fetch_stderr)"
    fi
    if [[ -n "$fetch_stderr" && "$(wc -l <"$work_dir/fetch.err")" -eq 1 ]]; then
        pass "$case_name: one error line: $fetch_stderr"
    else
        fail "$case_name: expected exactly one line on stderr, got: '$fetch_stderr'"
    fi
    leftover="$(find "$destination" -mindepth 1 -print)"
    if [[ -z "$leftover" ]]; then
        pass "$case_name: no file left in the data folder"
    else
        fail "$case_name: files left in the data folder: $leftover"
    fi
}

count_requests() {
    grep -c '"GET /sample.bin ' "$server_log" || true
}

# (a) A good download lands under its name with the served content.
good_dir="$work_dir/good"
run_fetch "$good_dir" "sample.bin $sample_size $sample_md5"
if [[ $fetch_status -eq 0 ]]; then
    pass "good download: exit status 0"
else
    fail "good download: exit status $fetch_status (stderr: $fetch_stderr)"
fi
if cmp -s "$serve_dir/sample.bin" "$good_dir/sample.bin"; then
    pass "good download: sample.bin has the served content"
else
    fail "good download: $good_dir/sample.bin is missing or differs from the served file"
fi
good_listing="$(find "$good_dir" -mindepth 1 -printf '%f\n')"
if [[ "$good_listing" == "sample.bin" ]]; then
    pass "good download: no temporary file left"
else
    fail "good download: expected only sample.bin in the data folder, found: $good_listing"
fi

# (b) A wrong MD5 in the manifest: the downloaded file is deleted.
wrong_md5_dir="$work_dir/wrong-md5"
run_fetch "$wrong_md5_dir" "sample.bin $sample_size 0123456789abcdef0123456789abcdef"
check_failed_run "wrong MD5" "$wrong_md5_dir"

# (c) HTTP 404: nothing is kept.
not_found_dir="$work_dir/not-found"
run_fetch "$not_found_dir" "missing.bin $sample_size $sample_md5"
check_failed_run "HTTP 404" "$not_found_dir"
if [[ "$fetch_stderr" == *404* ]]; then
    pass "HTTP 404: the error line names status 404"
else
    fail "HTTP 404: the error line does not mention 404: $fetch_stderr"
fi

# (d) A size that differs from the manifest (with the right MD5): deleted.
wrong_size_dir="$work_dir/wrong-size"
run_fetch "$wrong_size_dir" "sample.bin $((sample_size + 1)) $sample_md5"
check_failed_run "size mismatch" "$wrong_size_dir"

# (e) An already present, verified file is kept and not requested again. The
# served copy is replaced first, so a new download would change the content.
requests_before="$(count_requests)"
cp "$good_dir/sample.bin" "$work_dir/sample.expected"
head -c "$sample_size" /dev/urandom >"$serve_dir/sample.bin"
run_fetch "$good_dir" "sample.bin $sample_size $sample_md5"
requests_after="$(count_requests)"
if [[ $fetch_status -eq 0 ]]; then
    pass "present file: exit status 0"
else
    fail "present file: exit status $fetch_status (stderr: $fetch_stderr)"
fi
if [[ "$requests_after" -eq "$requests_before" ]]; then
    pass "present file: no request sent to the server"
else
    fail "present file: the server got $((requests_after - requests_before)) new request(s) for sample.bin"
fi
if cmp -s "$work_dir/sample.expected" "$good_dir/sample.bin"; then
    pass "present file: content unchanged"
else
    fail "present file: $good_dir/sample.bin was changed"
fi

# (f) A present file that does not match is replaced by a verified download.
stale_dir="$work_dir/stale"
mkdir -p "$stale_dir"
printf 'stale' >"$stale_dir/sample.bin"
new_md5="$(md5sum "$serve_dir/sample.bin")"
new_md5="${new_md5%% *}"
run_fetch "$stale_dir" "sample.bin $sample_size $new_md5"
if [[ $fetch_status -eq 0 ]]; then
    pass "mismatched present file: exit status 0"
else
    fail "mismatched present file: exit status $fetch_status (stderr: $fetch_stderr)"
fi
if cmp -s "$serve_dir/sample.bin" "$stale_dir/sample.bin"; then
    pass "mismatched present file: replaced by the served content"
else
    fail "mismatched present file: $stale_dir/sample.bin differs from the served file"
fi

# (g) Server unreachable (stopped): fails at once and keeps nothing.
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""
unreachable_dir="$work_dir/unreachable"
start_seconds=$SECONDS
run_fetch "$unreachable_dir" "sample.bin $sample_size $new_md5"
elapsed_seconds=$((SECONDS - start_seconds))
check_failed_run "server stopped" "$unreachable_dir"
if [[ $elapsed_seconds -le 15 ]]; then
    pass "server stopped: failed after ${elapsed_seconds} s"
else
    fail "server stopped: took ${elapsed_seconds} s to fail, expected at most 15 s"
fi

# (h) Invalid manifest lines are rejected with status 2 before any download.
invalid_dir="$work_dir/invalid"
run_fetch "$invalid_dir" "../escape.bin $sample_size $sample_md5"
if [[ $fetch_status -eq 2 && ! -e "$work_dir/escape.bin" ]]; then
    pass "invalid manifest: file name with '/' rejected with status 2"
else
    fail "invalid manifest: exit status $fetch_status, expected 2 (stderr: $fetch_stderr)"
fi

# A second server that responds to every GET with a 10000-byte
# Content-Length, sends 100 bytes and then stalls, to test timeouts and
# interruptions.
stall_server_output="$work_dir/stall-server.out"
python3 -u -c '
import http.server
import time


class StallingHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "10000")
        self.end_headers()
        self.wfile.write(b"x" * 100)
        self.wfile.flush()
        time.sleep(120)

    def log_message(self, format, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StallingHandler)
server.daemon_threads = True
print(server.server_address[1])
server.serve_forever()
' >"$stall_server_output" 2>"$work_dir/stall-server.log" &
stall_server_pid=$!

stall_port=""
for _ in $(seq 1 100); do
    if [[ "$(head -n 1 "$stall_server_output")" =~ ^([0-9]+)$ ]]; then
        stall_port="${BASH_REMATCH[1]}"
        break
    fi
    if ! kill -0 "$stall_server_pid" 2>/dev/null; then
        break
    fi
    sleep 0.1
done

if [[ -z "$stall_port" ]]; then
    fail "stalling HTTP server did not start within 10 s: $(cat "$work_dir/stall-server.log")"
else
    stall_url="http://127.0.0.1:$stall_port"

    # (i) A download that exceeds --max-time is aborted and deleted.
    timeout_dir="$work_dir/timeout"
    start_seconds=$SECONDS
    run_fetch "$timeout_dir" "sample.bin 10000 $sample_md5" "$stall_url" 2
    elapsed_seconds=$((SECONDS - start_seconds))
    check_failed_run "max time exceeded" "$timeout_dir"
    if [[ $elapsed_seconds -le 10 ]]; then
        pass "max time exceeded: failed after ${elapsed_seconds} s with a 2 s limit"
    else
        fail "max time exceeded: took ${elapsed_seconds} s with a 2 s limit"
    fi

    # (j) SIGTERM during a download stops it at once and deletes the
    # temporary file.
    interrupted_dir="$work_dir/interrupted"
    mkdir -p "$interrupted_dir"
    printf 'sample.bin 10000 %s\n' "$sample_md5" >"$work_dir/manifest.txt"
    SVHN_BASE_URL="$stall_url" SVHN_MANIFEST="$work_dir/manifest.txt" \
        SVHN_DATA_DIR="$interrupted_dir" SVHN_MAX_TIME=30 \
        "$fetch_script" >"$work_dir/fetch.out" 2>"$work_dir/fetch.err" &
    fetch_pid=$!
    # The temporary file can stay empty while curl buffers the first 100
    # bytes, so the loop waits for the file to exist. The extra second lets
    # curl connect and reach the stall.
    partial_seen=0
    for _ in $(seq 1 100); do
        if [[ -n "$(find "$interrupted_dir" -name '*.part' -print)" ]]; then
            partial_seen=1
            sleep 1
            break
        fi
        sleep 0.1
    done
    start_seconds=$SECONDS
    kill -TERM "$fetch_pid"
    fetch_status=0
    wait "$fetch_pid" || fetch_status=$?
    elapsed_seconds=$((SECONDS - start_seconds))
    fetch_stderr="$(cat "$work_dir/fetch.err")"
    if [[ $partial_seen -eq 1 ]]; then
        pass "SIGTERM: the temporary file existed before the signal"
    else
        fail "SIGTERM: no temporary file appeared within 10 s, so the signal came before the download"
    fi
    if [[ $fetch_status -eq 143 ]]; then
        pass "SIGTERM: exit status 143"
    else
        fail "SIGTERM: exit status $fetch_status, expected 143 (stderr: $fetch_stderr)"
    fi
    if [[ $elapsed_seconds -le 5 ]]; then
        pass "SIGTERM: stopped after ${elapsed_seconds} s"
    else
        fail "SIGTERM: took ${elapsed_seconds} s to stop"
    fi
    leftover="$(find "$interrupted_dir" -mindepth 1 -print)"
    if [[ -z "$leftover" ]]; then
        pass "SIGTERM: no file left in the data folder"
    else
        fail "SIGTERM: files left in the data folder: $leftover"
    fi
fi

if [[ $failures -gt 0 ]]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all checks passed"
