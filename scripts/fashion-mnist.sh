#!/usr/bin/env bash
# Fashion-MNIST as class folders of PNGs, the layout `segma train` and `segma eval` read:
#
#   scripts/fashion-mnist.sh [--demo DIR] [OUT_DIR]
#
# OUT_DIR (default data/fashion-mnist in the source tree, git-ignored) gets
# train/<class>/NNNNN.png (60,000) and test/<class>/NNNNN.png (10,000): 28x28 8-bit
# gray, NNNNN the index in the original IDX file, classes t-shirt, trouser, pullover,
# dress, coat, sandal, shirt, sneaker, bag, ankle-boot (labels 0-9). The IDX files come
# from the Debian package dataset-fashion-mnist, installed with apt-get when missing.
# Nothing is converted when OUT_DIR already holds the 70,000 PNGs.
# --demo DIR also copies the first 3 test images of each class to DIR/<class>/ (how the
# committed fixtures/fashion/ was made).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source_dir=/usr/share/datasets/fashion-mnist
classes=(t-shirt trouser pullover dress coat sandal shirt sneaker bag ankle-boot)
files=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)

die() { echo "fashion-mnist.sh: $*" >&2; exit 1; }

demo=""
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --demo) [ $# -ge 2 ] || die "--demo needs a folder"; demo="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (usage: fashion-mnist.sh [--demo DIR] [OUT_DIR])" ;;
    *) [ -z "$out" ] || die "one OUT_DIR only"; out="$1"; shift ;;
  esac
done
out="${out:-$root/data/fashion-mnist}"

png_count() {
  if [ -d "$out/train" ] && [ -d "$out/test" ]; then
    find "$out/train" "$out/test" -type f -name '*.png' | wc -l
  else
    echo 0
  fi
}

has_dataset() {
  for f in "${files[@]}"; do [ -f "$source_dir/$f" ] || return 1; done
}

if [ "$(png_count)" -eq 70000 ]; then
  echo "$out already has the 70000 images"
else
  if ! has_dataset; then
    as_root=()
    if [ "$(id -u)" -ne 0 ]; then
      command -v sudo >/dev/null || die "$source_dir is missing; install dataset-fashion-mnist as root"
      as_root=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    echo "installing dataset-fashion-mnist with apt-get" >&2
    # Refresh the package lists only when the package cannot be found in the current ones.
    if ! "${as_root[@]}" apt-get install -y --no-install-recommends dataset-fashion-mnist; then
      "${as_root[@]}" apt-get update
      "${as_root[@]}" apt-get install -y --no-install-recommends dataset-fashion-mnist
    fi
    has_dataset || die "dataset-fashion-mnist is installed but $source_dir lacks the IDX files"
  fi
  mkdir -p "$out"
  python3 "$root/scripts/idx_to_png.py" "$source_dir" "$out"
  count="$(png_count)"
  [ "$count" -eq 70000 ] || die "$out has $count PNG files, expected 70000 (stale files? remove the folder and rerun)"
  echo "$out: 70000 images"
fi

if [ -n "$demo" ]; then
  for class in "${classes[@]}"; do
    mkdir -p "$demo/$class"
    mapfile -t images < <(find "$out/test/$class" -type f -name '*.png' | sort)
    [ "${#images[@]}" -ge 3 ] || die "$out/test/$class has fewer than 3 images"
    cp "${images[@]:0:3}" "$demo/$class/"
  done
  echo "$demo: first 3 test images of each class"
fi
