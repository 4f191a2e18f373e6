#!/usr/bin/env bash
# The engine on real photos, as docs/engine.md reports it: each photo ingested with its first caption only, the engine
# run with RAM's tag list, then judged against the tags of all five captions (and, for coco_mini, its COCO labels).
#
#   bench/real-photos/run.sh [flickr8k_dev|coco_mini] [WORK_DIR] [extra `ram engine start` options...]
#
# Reads ../shared/data (or $RAM_SHARED_DATA); writes only under WORK_DIR (default /tmp/ram-real): the one-caption and
# five-caption JSONL files, copies of the photos, and the store. Nothing is written into the project.
set -euo pipefail
cd "$(dirname "$0")/../.."
set_name="${1:-flickr8k_dev}"; work="${2:-/tmp/ram-real}/$set_name"; shift $(( $# > 2 ? 2 : $# )) || true
data="${RAM_SHARED_DATA:-$(cd .. && pwd)/shared/data}"
[ -d "$data/$set_name" ] || { echo "no $data/$set_name: set RAM_SHARED_DATA" >&2; exit 2; }
ram() { dotnet run -c Release --no-build --project src/RamDataEngine.Cli -- "$@" --data "$work/store"; }
dotnet build -c Release src/RamDataEngine.Cli -v q -nologo >/dev/null

rm -rf "$work"; mkdir -p "$work"
case "$set_name" in
  flickr8k_dev) jsonl="$data/flickr8k_dev/flickr8k_dev.jsonl"; cp -r "$data/flickr8k_dev/images" "$work/";;
  coco_mini) jsonl="$data/coco_mini/coco_mini.jsonl"; cp -r "$data/coco_mini/train2017" "$data/coco_mini/val2017" "$work/";;
  *) echo "unknown set $set_name" >&2; exit 2;;
esac

# caption 1 only (what the engine sees) and all five (the truth); coco_mini's COCO labels dropped from the engine's input
python3 - "$jsonl" "$work" <<'PY'
import json, sys
src, work = sys.argv[1], sys.argv[2]
with open(src) as f, open(f"{work}/one.jsonl", "w") as one, open(f"{work}/five.jsonl", "w") as five:
    for line in f:
        d = json.loads(line)
        base = {k: d[k] for k in ("image_file", "image_id", "width", "height", "license") if k in d}
        one.write(json.dumps({**base, "captions": d["captions"][:1]}) + "\n")
        five.write(json.dumps({**base, "captions": d["captions"]}) + "\n")
PY

tags="$data/ram_tags"
audit="$data/coco_captions_val2017/coco_val2017_captions.jsonl"
ram ingest "$work/five.jsonl" --dataset five
ram parse five --vocab "$tags"
ram ingest "$work/one.jsonl" --dataset one
time ram engine start one --id eng --vocab "$tags" --audit "$audit" --audit-exclude "$jsonl" "$@"
ram engine report eng --truth-from five@2
