#!/usr/bin/env bash
# Installs the build into a temporary prefix, compiles the example program of
# docs/c-api.md against it with pkg-config, runs it, and checks that it
# trained 3 epochs and wrote a file that starts with the checkpoint magic.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${SVHN_BUILD_DIR:-$repo_root/build}"
work_dir="$(mktemp -d)"
trap 'rm -rf -- "$work_dir"' EXIT

cmake --install "$build_dir" --prefix "$work_dir/prefix" >"$work_dir/install.log"

for program in svhn-train svhn-eval svhn-predict svhn-plot; do
    if [[ ! -x "$work_dir/prefix/bin/$program" ]]; then
        echo "c_api_test: $program was not installed in $work_dir/prefix/bin" >&2
        exit 1
    fi
done

# The program is the first ```c block of the page.
awk '/^```c$/ { inside = 1; next } /^```$/ { if (inside) exit } inside' \
    "$repo_root/docs/c-api.md" >"$work_dir/train_small.c"
if [[ ! -s "$work_dir/train_small.c" ]]; then
    echo "c_api_test: no \`\`\`c block found in docs/c-api.md" >&2
    exit 1
fi

export PKG_CONFIG_PATH="$work_dir/prefix/lib/pkgconfig"
# shellcheck disable=SC2046 # pkg-config output is a list of separate flags.
cc -std=c11 -Wall -Wextra -Werror "$work_dir/train_small.c" \
    $(pkg-config --cflags --libs svhn) -o "$work_dir/train_small"

"$work_dir/train_small" "$work_dir/small.ckpt" >"$work_dir/run.log"
if ! grep -q "^epoch  3/3" "$work_dir/run.log"; then
    echo "c_api_test: the example did not train 3 epochs; its output:" >&2
    cat "$work_dir/run.log" >&2
    exit 1
fi
if [[ "$(head -c 8 "$work_dir/small.ckpt")" != "SVHNCKPT" ]]; then
    echo "c_api_test: $work_dir/small.ckpt does not start with the checkpoint magic" >&2
    exit 1
fi
echo "c_api_test: installed, compiled the docs/c-api.md example with pkg-config, trained and saved"
