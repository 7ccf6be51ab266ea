#!/usr/bin/env bash
# Peak memory of a large import: 1,000,000 customers with two contacts each, through the
# library into sled and into SQLite, each in a fresh folder under target/.
#
#   benches/import_memory.sh            # 1,000,000 customers
#   ROWS=100000 benches/import_memory.sh
#
# Generates the CSV (distinct names, no owner column: the example's administrator owns every
# row), builds the release example `import_file`, and runs it under `/usr/bin/time -v` for each
# engine, printing the example's own figures, the peak resident set size ("Maximum resident set
# size") and the elapsed time. The target is a peak under 512 MiB on each engine.
#
# Environment: ROWS (default 1000000), ENGINES (default "sled sqlite"), CARGO_TARGET_DIR (the
# build folder; the data goes to target/import-memory/ of the repository either way).
set -euo pipefail

ROWS="${ROWS:-1000000}"
ENGINES="${ENGINES:-sled sqlite}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$ROOT/target/import-memory"
CSV="$WORK/customers-$ROWS.csv"
TARGET_MIB=512

mkdir -p "$WORK"
if [[ ! -s "$CSV" ]]; then
    echo "generating $CSV ($ROWS customers)"
    python3 - "$ROWS" "$CSV" <<'PY'
import sys

rows, path = int(sys.argv[1]), sys.argv[2]
provinces = [("浙江", "杭州"), ("江苏", "苏州"), ("广东", "深圳"), ("北京", "北京"),
             ("上海", "上海"), ("山东", "青岛"), ("四川", "成都"), ("湖北", "武汉")]
trades = ["科技", "贸易", "电子", "机械", "化工", "物流", "食品", "建材"]
levels = ["A类", "B类", "C类", "D类"]
with open(path, "w", encoding="utf-8", newline="\n") as f:
    f.write("客户名称,客户等级,省份,城市,标签,联系人,手机,联系人2,手机2\n")
    for i in range(rows):
        prov, city = provinces[i % 8]
        trade = trades[(i // 7) % 8]
        tag = "重点客户" if i % 5 == 0 else ""
        # The number makes every name distinct, also after the library's name normalisation.
        f.write(f"{city}第{i}号{trade}有限公司,{levels[(i // 3) % 4]},{prov},{city},{tag},"
                f"联系人{i}甲,13{i:09d},联系人{i}乙,15{i:09d}\n")
PY
fi
echo "file: $CSV ($(wc -l < "$CSV") lines, $(du -h "$CSV" | cut -f1))"

cd "$ROOT"
cargo build --release --example import_file
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/import_file"

echo "machine: $(nproc) cores, $(free -m | awk '/^Mem:/ {print $2}') MiB, load: $(uptime | sed 's/.*load average: //')"
for engine in $ENGINES; do
    rm -rf "$WORK/$engine"
    mkdir -p "$WORK/$engine"
    case "$engine" in
        sled) url="sled:$WORK/$engine/db" ;;
        sqlite) url="sqlite:$WORK/$engine/crm.db" ;;
        *) echo "unknown engine $engine" >&2; exit 2 ;;
    esac
    echo
    echo "== $engine: $url"
    log="$WORK/$engine.time"
    /usr/bin/time -v -o "$log" "$BIN" "$url" "$CSV"
    rss_kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    wall=$(awk -F': ' '/Elapsed \(wall clock\) time/ {print $2}' "$log")
    user=$(awk -F': ' '/User time/ {print $2}' "$log")
    sys=$(awk -F': ' '/System time/ {print $2}' "$log")
    rss_mib=$((rss_kib / 1024))
    if ((rss_mib < TARGET_MIB)); then verdict="met"; else verdict="NOT met"; fi
    echo "$engine: peak RSS ${rss_mib} MiB (${rss_kib} KiB), target < ${TARGET_MIB} MiB: $verdict"
    echo "$engine: wall ${wall}, user ${user} s, system ${sys} s; store on disk $(du -sh "$WORK/$engine" | cut -f1)"
done
