#!/usr/bin/env bash
# The main job on the bundled default model and the demo images in fixtures/fashion:
# class transfer sequences (shirts and pullovers become dresses and coats), an
# interpolation sequence between a trouser and a dress, and one contact sheet of
# it all: OUT/sheet.png (default OUT: demo).
set -euo pipefail
cd "$(dirname "$0")/.."
segma=.build/release/segma
out=${1:-demo}
steps=0,0.2,0.4,0.6,0.8,1   # t = 0 is the image as the model sees it
mkdir -p "$out"
# Each stage prints the image records it wrote; they are kept beside the images.
$segma transfer --overwrite --to dress --t "$steps" -o "$out/1-transfer" fixtures/fashion/shirt >"$out/1-transfer.jsonl"
$segma transfer --overwrite --to coat --t "$steps" -o "$out/2-transfer" fixtures/fashion/pullover >"$out/2-transfer.jsonl"
$segma interpolate --overwrite --frames 5 --name trouser--dress -o "$out/3-interpolate" \
  fixtures/fashion/trouser/00002.png fixtures/fashion/dress/00013.png >"$out/3-interpolate.jsonl"
$segma sheet --overwrite --columns 6 --cell 56x56 -o "$out/sheet.png" \
  "$out/1-transfer" "$out/2-transfer" "$out/3-interpolate"
echo "segma: wrote $out/sheet.png" >&2
