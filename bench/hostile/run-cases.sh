#!/usr/bin/env bash
# Reruns the hostile cases of issue 14 through the real CLI (from the sources, under tsx) and prints, per
# case, the exit code wanted and got, peak RSS and seconds, and whether a stack trace or raw escape byte
# reached the terminal. Kept apart from the test suite (each case starts node; the whole run takes minutes).
#   bash bench/hostile/run-cases.sh            # exit 0 when every case behaved
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/pipe-hostile-cases-XXXXXX)
SLEEPER=
cleanup() { [ -n "$SLEEPER" ] && kill "$SLEEPER" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
IN="$WORK/in"
# Absolute loader: the cases run with the working directory in /tmp, where `--import tsx` would not resolve.
TSX="file://$ROOT/node_modules/tsx/dist/loader.mjs"
node --import "$TSX" "$ROOT/bench/hostile/make-cases.ts" "$IN" >/dev/null || { echo "make-cases failed"; exit 70; }
cd "$WORK" || exit 70
FAST="$ROOT/test/runtime/fixtures/kinds.ts" # fast stand-in stage kinds for run bookkeeping cases
export PIPE_CACHE_DIR="$WORK/cache" PIPE_RUNS_DIR="$WORK/runsA" PIPE_TEST_STEP_MS=1 PIPE_DOWNLOAD_DIR="$WORK/dl"
PIPE=(node --import "$TSX" "$ROOT/src/cli.ts")
bad=0

# case NAME WANT CMD... : runs CMD with a 120 s limit; WANT is the exit code it must give.
case_() {
  local name=$1 want=$2
  shift 2
  local t0 t1 rc rss trace=no esc=no
  t0=$(date +%s.%N)
  /usr/bin/time -o "$WORK/time" -f '%M' timeout 120 "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
  rc=$?
  t1=$(date +%s.%N)
  rss=$(tail -1 "$WORK/time")
  grep -qE '^\s+at |internal error|FATAL ERROR' "$WORK/err" "$WORK/out" && trace=yes
  grep -q $'\e' "$WORK/err" "$WORK/out" && esc=yes
  local ok=ok
  if [ "$rc" != "$want" ] || [ $trace = yes ] || [ $esc = yes ]; then ok=BAD; bad=$((bad + 1)); fi
  printf '%-4s %-52s want %-3s got %-3s %7.1f MB %6.1f s  trace:%-3s esc:%-3s %s\n' "$ok" "$name" "$want" "$rc" \
    "$(echo "$rss / 1024" | bc -l)" "$(echo "$t1 - $t0" | bc -l)" "$trace" "$esc" "$(head -c 110 "$WORK/err" | tr '\n' ' ')"
}
entries() { find "$WORK/cache" -mindepth 2 -maxdepth 2 -name '[0-9a-f]*' -type d 2>/dev/null | grep -v /work/ | wc -l; }

echo "# pipe hostile cases  $(date -u +%FT%TZ)  load: $(cut -d' ' -f1-3 /proc/loadavg)  node $(node -v)"
echo "## 1. gc fails closed"
PIPE_STAGE_MODULES=$FAST case_ "setup: run tiny.yaml into runsA" 0 "${PIPE[@]}" run "$IN/tiny.yaml" --progress none
n0=$(entries)
case_ "gc --dry-run --runs-dir <typo>" 2 "${PIPE[@]}" gc --dry-run --runs-dir "$WORK/rnus"
case_ "gc --runs-dir <typo> (no dry run)" 2 "${PIPE[@]}" gc --runs-dir "$WORK/rnus"
mkdir -p "$WORK/runsA/tiny/20990101-000000-dead" && printf '{"pipeline": "tiny", "stages": {' >"$WORK/runsA/tiny/20990101-000000-dead/run.json"
case_ "gc with a truncated run.json" 2 "${PIPE[@]}" gc
case_ "runs with a truncated run.json (warns, exit 0)" 0 "${PIPE[@]}" runs
rm -rf "$WORK/runsA/tiny/20990101-000000-dead"
mkdir -p "$WORK/runsB"
PIPE_RUNS_DIR="$WORK/runsB" case_ "PIPE_RUNS_DIR=runsB gc (cache knows runsA)" 0 "${PIPE[@]}" gc
echo "     entries before $n0, after $(entries)"
sleep 600 & SLEEPER=$!
FP=$(printf 'ab%.0s' $(seq 32)); mkdir -p "$WORK/cache/work/$FP" && echo x >"$WORK/cache/work/$FP/epoch-0024.png"
printf '{"host":"%s","pid":%s,"stageId":"train/live","since":"now"}' "$(hostname)" "$SLEEPER" >"$WORK/cache/work/$FP.lock"
case_ "gc with a live lock on a work folder" 0 "${PIPE[@]}" gc
echo "     live work folder still there: $([ -f "$WORK/cache/work/$FP/epoch-0024.png" ] && echo yes || echo NO)"

echo "## 2. decoders and archives"
case_ "metrics on a PNG declaring 30000x30000" 1 "${PIPE[@]}" metrics "$IN/bomb.png" "$IN/bomb.png" --no-lpips
case_ "metrics /dev/zero x.png" 1 "${PIPE[@]}" metrics /dev/zero "$IN/small.png" --no-lpips
printf "name: bomb\ndataset: { path: %s, load_size: 72, crop_size: 64 }\nmodel: { kind: pix2pix, generator: unet, ngf: 8, ndf: 8 }\nevaluate: { split: test, metrics: [ssim] }\n" "$IN/dataset-bomb" >"$IN/bomb-data.yaml"
case_ "dataset stage over a 30000x30000 PNG (real kind)" 1 "${PIPE[@]}" run "$IN/bomb-data.yaml" --only dataset --progress none
grep -o 'declares [0-9×]* = [0-9.]* megapixels' "$WORK/err" | head -1 | sed 's/^/     stage error: /'
X="import('$ROOT/src/ml/io/archive.ts').then((m) => m.extractArchive(process.argv[1], process.argv[2]))"
case_ "extract a 256 MiB-of-zeros zip bomb" 1 node --import "$TSX" -e "$X.then(() => 0, (e) => (console.error(e.message), e.code === 'PIPE_ARCHIVE_TOO_LARGE' ? 1 : 70)).then(process.exit)" "$IN/bomb.zip" "$WORK/zipout"
case_ "extract a tar member with mode 4755" 0 node --import "$TSX" -e "$X.then(() => 0)" "$IN/suid.tar.gz" "$WORK/suid"
echo "     extracted mode: $(stat -c %A "$WORK/suid/bin/tool" 2>/dev/null)"

echo "## 3. gates fail closed"
for c in null-mean checks-oops checks-null truncated mean-abc string-min variants-null; do
  case_ "check: $c" 2 "${PIPE[@]}" check "$IN/runs-m/$c"
done
case_ "check: a check naming constructor (fails, no TypeError)" 1 "${PIPE[@]}" check "$IN/runs-m/check-constructor"
case_ "compare good vs variant named constructor" 0 "${PIPE[@]}" compare "$IN/runs-m/ctor/metrics.json" "$IN/runs-m/good/metrics.json"
case_ "compare good vs truncated" 2 "${PIPE[@]}" compare "$IN/runs-m/good/metrics.json" "$IN/runs-m/truncated/metrics.json"
case_ "check --baseline variants:null" 2 "${PIPE[@]}" check "$IN/runs-m/good" --baseline "$IN/runs-m/variants-null/metrics.json"

echo "## 4. messages, not traces or hangs"
case_ "validate a YAML alias bomb" 1 "${PIPE[@]}" validate "$IN/alias-bomb.yaml"
case_ "validate a 1000x1000 sweep" 1 "${PIPE[@]}" validate "$IN/grid-1e6.yaml"
case_ "validate a 10^12 sweep" 1 "${PIPE[@]}" validate "$IN/grid-1e12.yaml"
case_ "validate a 50 MB pipeline" 1 "${PIPE[@]}" validate "$IN/big-50mb.yaml"
case_ "validate a 300-character name" 1 "${PIPE[@]}" validate "$IN/long-name.yaml"
case_ "validate a UTF-16 file" 1 "${PIPE[@]}" validate "$IN/utf16.yaml"
case_ "validate escape bytes in a key" 1 "${PIPE[@]}" validate "$IN/escape.yaml"
case_ "validate 20 KB of binary garbage" 1 "${PIPE[@]}" validate "$IN/garbage.yaml"
case_ "run --progress bogus" 2 "${PIPE[@]}" run "$IN/tiny.yaml" --progress bogus
case_ "run --runs-dir <a file>" 2 "${PIPE[@]}" run "$IN/tiny.yaml" --runs-dir "$IN/afile"
case_ "run --runs-dir /proc/x" 2 "${PIPE[@]}" run "$IN/tiny.yaml" --runs-dir /proc/x
case_ "plan --cache-dir <a file>" 2 "${PIPE[@]}" plan "$IN/tiny.yaml" --cache-dir "$IN/afile"
PIPE_STAGE_MODULES=$FAST case_ "run variants constructor/toString" 0 "${PIPE[@]}" run "$IN/ctor-variants.yaml" --progress none
case_ "compare that run with tiny's" 0 "${PIPE[@]}" compare "$IN/ctor-variants.yaml" "$IN/tiny.yaml"

echo "## 5. data handling"
PIPE_OFFLINE=1 PIPE_CACHE_DIR="$WORK/cache-offline" case_ "PIPE_OFFLINE=1 run (facades, no mirror)" 1 "${PIPE[@]}" run "$IN/tiny.yaml" --only dataset --progress none
grep -o 'Offline[^;]*' "$WORK/err" | head -1 | sed 's/^/     /'
case_ "validate evaluate.split ../../../../tmp/x" 1 "${PIPE[@]}" validate "$IN/split-path.yaml"
case_ "run with dataset.path = a file" 1 "${PIPE[@]}" run "$IN/dataset-file.yaml" --only dataset --progress none
grep -o 'is a file, not a folder' "$WORK/err" | head -1 | sed 's/^/     /'
# kill -9 of a whole run (its process group) while a stage trains (epochs=7: not cached), then the next start.
PIPE_STAGE_MODULES=$FAST PIPE_TEST_STEP_MS=1000 setsid "${PIPE[@]}" run "$IN/tiny.yaml" --set train.epochs=7 --progress none \
  >/dev/null 2>&1 &
KPID=$!
before=$(ls "$WORK"/runsA/tiny | wc -l)
# Wait until the new run has written run.json and a stage is under way, then kill the whole group.
for _ in $(seq 120); do
  [ "$(ls "$WORK"/runsA/tiny | wc -l)" -gt "$before" ] && ls -d /tmp/pipe-job-"$KPID"-* >/dev/null 2>&1 && break
  sleep 0.5
done
sleep 2
kill -9 -- -"$KPID" 2>/dev/null
sleep 1
killed=$(grep -l '"status": "running"' "$WORK"/runsA/tiny/*/run.json 2>/dev/null | head -1)
echo "     after kill -9: run.json still 'running': ${killed:-none}; job dirs of the killed run: $(ls -d /tmp/pipe-job-"$KPID"-* 2>/dev/null | wc -l)"
PIPE_STAGE_MODULES=$FAST case_ "next run after kill -9" 0 "${PIPE[@]}" run "$IN/tiny.yaml" --progress none
[ -n "$killed" ] && echo "     killed run now: $(node -e "const r=require('$killed');console.log(r.status, JSON.stringify(Object.fromEntries(Object.entries(r.stages).map(([k,v])=>[k,v.status]))))")"
echo "     job dirs of the killed run left: $(ls -d /tmp/pipe-job-"$KPID"-* 2>/dev/null | wc -l)"

echo "## $bad case(s) misbehaved"
exit $((bad > 0))
