#!/usr/bin/env bash
# Compares svhn-train's training throughput with the loader thread against
# the same steps on one batch already in memory (--compute-only), on
# SVHN-shaped data of full size. The modes run in interleaved rounds, so a
# burst of load from other processes hits all of them.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: bench/loader_overhead.sh [--data DIR] [--rounds N] [--train-limit N]
                                [--threads N] [--model NAME]

Runs svhn-train for 2 epochs in each mode (--prefetch 3, --prefetch 0,
--compute-only), N rounds (default 5), and prints for every run the second
epoch's examples/s, epoch seconds and data wait, then the median of each
mode. The second epoch is used because the first includes warm-up.

  --data DIR         folder with train_32x32.mat and test_32x32.mat; written
                     with build/bench/make-svhn at full SVHN size (73,257 and
                     26,032 images) when missing (default /tmp/svhn-full)
  --rounds N         interleaved rounds (default 5)
  --train-limit N    training examples per epoch (default 20000)
  --threads N        compute threads (default: all cores)
  --model NAME       lnet or mlp (default lnet)
EOF
}

data_dir=/tmp/svhn-full
rounds=5
train_limit=20000
threads=""
model=lnet
while [[ $# -gt 0 ]]; do
    case "$1" in
        --data) data_dir="$2"; shift ;;
        --rounds) rounds="$2"; shift ;;
        --train-limit) train_limit="$2"; shift ;;
        --threads) threads="--threads $2"; shift ;;
        --model) model="$2"; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "loader_overhead.sh: unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
train="$repo_root/build/src/svhn-train"
make_svhn="$repo_root/build/bench/make-svhn"
for program in "$train" "$make_svhn"; do
    if [[ ! -x "$program" ]]; then
        echo "loader_overhead.sh: $program not found; build first (scripts/setup)" >&2
        exit 1
    fi
done

mkdir -p "$data_dir"
[[ -f "$data_dir/train_32x32.mat" ]] ||
    "$make_svhn" --count 73257 --out "$data_dir/train_32x32.mat"
[[ -f "$data_dir/test_32x32.mat" ]] ||
    "$make_svhn" --count 26032 --out "$data_dir/test_32x32.mat"

declare -A rates
modes=("--prefetch 3" "--prefetch 0" "--compute-only")
echo "mode            ex/s  epoch s  data wait s"
for ((round = 1; round <= rounds; round++)); do
    for mode in "${modes[@]}"; do
        # shellcheck disable=SC2086 # $mode and $threads are lists of words.
        line="$("$train" --data "$data_dir" --model "$model" --epochs 2 \
            --train-limit "$train_limit" --test-limit 2000 $threads $mode |
            grep '^epoch  2/2')"
        # The epoch line ends with: RATE ex/s SECONDS s data wait W s loader wait L s
        read -r rate seconds wait <<<"$(awk '{print $(NF-11), $(NF-9), $(NF-5)}' <<<"$line")"
        printf '%-15s %6s  %7s  %s\n' "$mode" "$rate" "$seconds" "$wait"
        rates["$mode"]+="$rate "
    done
done

echo "medians:"
for mode in "${modes[@]}"; do
    # shellcheck disable=SC2086 # one rate per word
    median="$(printf '%s\n' ${rates["$mode"]} | sort -n | awk '{v[NR] = $1}
        END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')"
    printf '%-15s %6s ex/s\n' "$mode" "$median"
done
