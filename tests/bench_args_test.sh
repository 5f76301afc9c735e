#!/usr/bin/env bash
# Checks that the benchmark programs reject bad arguments and bad floors
# files of `layer_bench --check` with a message that starts with the
# program's name, and that a valid floors file with comments is accepted.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${SVHN_BUILD_DIR:-$repo_root/build}"
bench_dir="$build_dir/bench"
work_dir="$(mktemp -d)"
trap 'rm -rf -- "$work_dir"' EXIT
failures=0

for program in layer_bench train_bench conv_rows_probe; do
    if [[ ! -x "$bench_dir/$program" ]]; then
        echo "bench_args_test: $bench_dir/$program not found; build the project first" >&2
        exit 1
    fi
done

# Runs PROGRAM ARGS... and checks that it exits with EXPECTED_STATUS, that
# its stderr contains EXPECTED_TEXT, and that every stderr line starts with
# "PROGRAM: ".
expect_error() {
    local expected_status="$1" expected_text="$2" program="$3"
    shift 3
    local status=0
    "$bench_dir/$program" "$@" >"$work_dir/stdout" 2>"$work_dir/stderr" || status=$?
    local case_name="$program $*"
    if [[ "$status" -ne "$expected_status" ]]; then
        echo "FAIL: $case_name: exit status $status, expected $expected_status" >&2
        failures=$((failures + 1))
    fi
    if ! grep -qF -- "$expected_text" "$work_dir/stderr"; then
        echo "FAIL: $case_name: stderr does not contain '$expected_text'. stderr:" >&2
        cat "$work_dir/stderr" >&2
        failures=$((failures + 1))
    fi
    if grep -qv "^$program: " "$work_dir/stderr"; then
        echo "FAIL: $case_name: a stderr line does not start with '$program: ':" >&2
        cat "$work_dir/stderr" >&2
        failures=$((failures + 1))
    fi
}

# Floors files derived from the repository's, so only the broken line differs.
floors="$repo_root/bench/layer_bench_floors.txt"
: >"$work_dir/empty.txt"
printf '# only a comment\n\n' >"$work_dir/comments_only.txt"
mkdir "$work_dir/directory"
sed 's/^mlp_fc1_forward .*/mlp_fc1_forward abc 0.5/' "$floors" >"$work_dir/letters.txt"
sed 's/^mlp_fc2_forward .*/mlp_fc2_forward 5.0 0/' "$floors" >"$work_dir/zero.txt"
sed 's/^mlp_fc2_forward .*/mlp_fc2_forward 5.0 inf/' "$floors" >"$work_dir/infinite.txt"
sed 's/^mlp_fc2_forward .*/mlp_fc2_forward 5.0 1.2x/' "$floors" >"$work_dir/trailing.txt"
sed 's/^mlp_fc2_forward .*/mlp_fc2_forward 5.0/' "$floors" >"$work_dir/short.txt"
sed 's/^mlp_fc2_forward .*/mlp_fc2_forward 5.0 1.25 2/' "$floors" >"$work_dir/long.txt"
sed 's/^mlp_fc2_forward /mlp_fc9_forward /' "$floors" >"$work_dir/unknown.txt"
{ cat "$floors"; echo "lnet_fc2_forward 3.7 0.7"; } >"$work_dir/duplicate.txt"
grep -v '^lnet_fc2_backward_weights' "$floors" >"$work_dir/missing.txt"
sed 's/^mlp_fc1_backward_data .*/mlp_fc1_backward_data 1.0 0.7/' "$floors" \
    >"$work_dir/reference_floor.txt"

line_of() {
    grep -n "^$1 " "$floors" | cut -d: -f1
}
mlp_fc1_line="$(line_of mlp_fc1_forward)"
mlp_fc2_line="$(line_of mlp_fc2_forward)"
lnet_fc2_line="$(line_of lnet_fc2_forward)"
backward_data_line="$(line_of mlp_fc1_backward_data)"
duplicate_line="$(($(wc -l <"$floors") + 1))"

expect_floors_error() {
    expect_error 1 "$1" layer_bench --check --threads 1 --floors "$work_dir/$2"
}
expect_floors_error "$work_dir/empty.txt: no floors in the file" empty.txt
expect_floors_error "$work_dir/comments_only.txt: no floors in the file" comments_only.txt
expect_floors_error "the floors file $work_dir/directory is a directory" directory
expect_floors_error "letters.txt:$mlp_fc1_line: invalid floor 'abc' in 'mlp_fc1_forward abc 0.5'" \
    letters.txt
expect_floors_error "zero.txt:$mlp_fc2_line: invalid floor '0'" zero.txt
expect_floors_error "infinite.txt:$mlp_fc2_line: invalid floor 'inf'" infinite.txt
expect_floors_error "trailing.txt:$mlp_fc2_line: invalid floor '1.2x'" trailing.txt
expect_floors_error "short.txt:$mlp_fc2_line: invalid line 'mlp_fc2_forward 5.0'" short.txt
expect_floors_error "long.txt:$mlp_fc2_line: invalid line 'mlp_fc2_forward 5.0 1.25 2'" long.txt
expect_floors_error "unknown.txt:$mlp_fc2_line: unknown product 'mlp_fc9_forward'" unknown.txt
expect_floors_error "duplicate.txt:$duplicate_line: product 'lnet_fc2_forward' in \
'lnet_fc2_forward 3.7 0.7' already has a floor on line $lnet_fc2_line" duplicate.txt
expect_floors_error "missing.txt: missing floors for product lnet_fc2_backward_weights" missing.txt
expect_floors_error \
    "reference_floor.txt:$backward_data_line: mlp_fc1_backward_data has no reference time" \
    reference_floor.txt
expect_floors_error \
    "cannot open the floors file $work_dir/absent.txt: No such file or directory" absent.txt
# --floors was given, so the message does not suggest passing it.
if grep -qF -- "pass --floors" "$work_dir/stderr"; then
    echo "FAIL: layer_bench suggests --floors although --floors was given" >&2
    failures=$((failures + 1))
fi

expect_error 2 "unexpected argument 'extra'" layer_bench extra
expect_error 2 "--floors needs --check" layer_bench --floors "$work_dir/absent.txt"
expect_error 2 "--threads needs an integer from 1 to 1000000, got ' 1'" layer_bench --threads " 1"
expect_error 2 "--batch needs an integer from 1 to 1000000, got ' 8'" layer_bench --batch " 8"
expect_error 2 "--runs needs an integer from 1 to 1000000, got ' 3'" layer_bench --runs " 3"
expect_error 2 "--runs needs an integer from 1 to 1000000, got '3 '" layer_bench --runs "3 "
expect_error 2 "unexpected argument 'extra'" conv_rows_probe extra
expect_error 2 "--runs needs an integer from 1 to 1000, got ' 3'" conv_rows_probe --runs " 3"
expect_error 2 "--threads needs an integer from 1 to 1000, got ' 1'" conv_rows_probe --threads " 1"
expect_error 2 "--threads needs an integer from 1 to 1000, got '1 '" conv_rows_probe --threads "1 "
expect_error 2 "--peak needs a positive GFLOP/s value, got ' 100'" conv_rows_probe --peak " 100"
expect_error 2 "--peak needs a positive GFLOP/s value, got 'inf'" conv_rows_probe --peak inf
expect_error 2 "unexpected argument 'extra'" train_bench extra
expect_error 2 "unexpected argument 'extra'" train_bench --runs 1 extra
expect_error 2 "unrecognized option '--bogus'" train_bench --bogus
expect_error 2 "each of C, H and W must be from 1 to 4096" train_bench --input 3x100000x100000
expect_error 2 "each of C, H and W must be from 1 to 4096" train_bench --input 0x32x32
expect_error 2 "expected CxHxW" train_bench --input 3x32x32x
expect_error 2 "invalid --input ' 3x32x32'" train_bench --input " 3x32x32"
expect_error 2 "invalid --input '3x 32x32'" train_bench --input "3x 32x32"
expect_error 2 "invalid --batch ' 10'" train_bench --batch " 10"
expect_error 2 "invalid --threads  1" train_bench --threads " 1"
expect_error 2 "above the limit of 1 GiB" train_bench --input 3x1024x1024 --batch 250
expect_error 2 "invalid --batch '10x'" train_bench --batch 10x
expect_error 2 "invalid --runs '65'" train_bench --runs 65

# Every floor "-": the check runs at a small batch and passes whatever the
# timings, so this only tests that comments and "-" are accepted and that
# the table and JSON show the floors.
sed -E 's/^([a-z0-9_]+) +[^ ]+ +[^ #]+/\1 - -/' "$floors" >"$work_dir/unchecked.txt"
if ! "$bench_dir/layer_bench" --check --threads 1 --batch 8 \
    --floors "$work_dir/unchecked.txt" >"$work_dir/table.txt" 2>"$work_dir/stderr"; then
    echo "FAIL: layer_bench --check rejected a floors file of '-' floors:" >&2
    cat "$work_dir/stderr" >&2
    failures=$((failures + 1))
fi
for expected in "ratios are (other implementation's time) / (our time)" "vs oneDNN  floor" \
    "passed: every ratio is at or above its floor"; do
    if ! grep -qF -- "$expected" "$work_dir/table.txt"; then
        echo "FAIL: the --check table does not contain '$expected'. Output:" >&2
        cat "$work_dir/table.txt" >&2
        failures=$((failures + 1))
    fi
done
"$bench_dir/layer_bench" --check --json --threads 1 --batch 8 \
    --floors "$work_dir/unchecked.txt" >"$work_dir/check.json" || true
for expected in '"min_vs_onednn": null' '"min_vs_reference": null' '"passed": true'; do
    if ! grep -qF -- "$expected" "$work_dir/check.json"; then
        echo "FAIL: the --check JSON does not contain '$expected'. Output:" >&2
        cat "$work_dir/check.json" >&2
        failures=$((failures + 1))
    fi
done

if [[ "$failures" -gt 0 ]]; then
    echo "bench_args_test: $failures checks failed" >&2
    exit 1
fi
echo "bench_args_test: bad arguments and floors files are rejected with the program's name"
